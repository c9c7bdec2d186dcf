import { setGlobalTestRuntime } from "allure-js-commons/sdk/runtime";

/**
 * Outside a mocha run (e.g. `macvlab lab up --solve` running a scenario's setup) there is no Allure
 * test to record steps into: run step bodies and drop the rest silently, instead of allure's warning
 * per call. The allure-mocha reporter installs the real runtime when a run starts.
 */
export function installQuietAllureRuntime(): void {
  const runtime = new Proxy({} as Record<string | symbol, unknown>, {
    get: (_target, property) => {
      if (property === "step") return async (_name: string, body: () => unknown) => body();
      if (property === "sync") return undefined;
      if (property === "then") return undefined;
      return async () => {};
    },
  });
  setGlobalTestRuntime(runtime as unknown as Parameters<typeof setGlobalTestRuntime>[0]);
}
