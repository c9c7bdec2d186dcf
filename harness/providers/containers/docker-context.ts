import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { InputError } from "../../model/errors.ts";

/** Docker's own rule for context names (`docker context create`). */
const CONTEXT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/;

export interface ContextEndpoint {
  readonly context: string;
  readonly host: string;
  /** The context's TLS material (ca.pem, cert.pem, key.pem), when it has any. */
  readonly certPath?: string;
}

/**
 * The engine of the current docker context, as the docker CLI picks it: DOCKER_CONTEXT, else
 * `currentContext` in $DOCKER_CONFIG/config.json (~/.docker). testcontainers 11 reads DOCKER_HOST and
 * its own properties but not contexts (Docker Desktop, remote engines over SSH or TCP set one). None
 * when DOCKER_HOST is set (it wins, as for the CLI) or the context is `default`.
 */
export function currentContextEndpoint(
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): ContextEndpoint | undefined {
  if (env.DOCKER_HOST) return undefined;
  const configDir = env.DOCKER_CONFIG || join(home, ".docker");
  let context = env.DOCKER_CONTEXT;
  let source = "DOCKER_CONTEXT";
  if (!context) {
    const config = join(configDir, "config.json");
    if (!existsSync(config)) return undefined;
    try {
      context = (JSON.parse(readFileSync(config, "utf8")) as { currentContext?: unknown }).currentContext as string;
    } catch (error) {
      throw new InputError(`${config}: not JSON (${(error as Error).message})`);
    }
    source = `${config}: currentContext`;
  }
  if (context === undefined || context === "" || context === "default") return undefined;
  if (typeof context !== "string" || !CONTEXT_NAME.test(context))
    throw new InputError(`${source}: ${JSON.stringify(context)} is not a docker context name`);
  const id = createHash("sha256").update(context).digest("hex");
  const meta = join(configDir, "contexts", "meta", id, "meta.json");
  let host: unknown;
  try {
    host = (JSON.parse(readFileSync(meta, "utf8")) as { Endpoints?: { docker?: { Host?: unknown } } }).Endpoints?.docker
      ?.Host;
  } catch (error) {
    throw new InputError(
      `docker context ${context} (${source}): cannot read ${meta} (${(error as Error).message}); \`docker context ls\` lists the contexts there are`,
    );
  }
  if (typeof host !== "string" || !/^(unix|tcp|ssh|npipe):\/\/\S+$/.test(host))
    throw new InputError(`docker context ${context}: ${meta} has no usable Endpoints.docker.Host`);
  const tls = join(configDir, "contexts", "tls", id, "docker");
  return { context, host, certPath: existsSync(tls) ? tls : undefined };
}
