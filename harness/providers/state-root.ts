import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** One directory per provider and lab, like test-kitchen's `.kitchen/`: what `down` needs survives a crash. */
export function stateDir(provider: string, lab?: string): string {
  const root = process.env.MACVLAB_STATE_DIR ?? join(PROJECT_ROOT, ".macvlab");
  return lab === undefined ? join(root, provider) : join(root, provider, lab);
}
