import type { Lab } from "../model/lab.ts";
import type { Provider, StartedLab, UpOptions } from "../providers/provider.ts";
import { quoteWord } from "../transport/shell-quote.ts";

/**
 * What this process has made, or connected to, and must take away when a signal stops it: a lab
 * from the moment its build starts (before its first resource exists), then the lab that is up;
 * a connection to a lab someone else brought up (grade, ssh), which only disconnects.
 */
interface Entry {
  readonly provider: string;
  /** "lab two-hosts", "capability probe". */
  readonly what: string;
  /** The lab name, when something of it can be left behind for `macvlab down`; not for connections and probes. */
  readonly removable?: string;
  /** What the line says once `teardown` succeeded. */
  readonly done: string;
  teardown(): Promise<void>;
}

const active = new Set<Entry>();
const entryOf = new Map<StartedLab, Entry>();

/**
 * `provider.up`, registered first: an interrupt while the lab is being built waits for the build to
 * settle (a failpoint or a failing step ends it early), then takes down what it left, from the
 * state dir if `up` failed or never returned.
 */
export async function upTracked(provider: Provider, lab: Lab, options?: UpOptions): Promise<StartedLab> {
  let up: Promise<StartedLab> | undefined;
  const entry: Entry = {
    provider: provider.name,
    what: `lab ${lab.name}`,
    removable: lab.name,
    done: "taken down",
    teardown: async () => {
      const started = await up?.catch(() => undefined);
      if (started) await started.down();
      await provider.down(lab.name);
    },
  };
  return tracked(entry, () => {
    up = provider.up(lab, options);
    return up;
  });
}

/** `provider.attach`, registered the same way; taking it away closes the connections, the lab stays up. */
export async function attachTracked(provider: Provider, lab: Lab): Promise<StartedLab> {
  const attach = provider.attach;
  if (!attach) throw new Error(`provider ${provider.name} cannot attach`);
  let attaching: Promise<StartedLab> | undefined;
  const entry: Entry = {
    provider: provider.name,
    what: `lab ${lab.name}`,
    done: "disconnected (the lab stays up)",
    teardown: async () => {
      const started = await attaching?.catch(() => undefined);
      await started?.down();
    },
  };
  return tracked(entry, () => {
    attaching = attach.call(provider, lab);
    return attaching;
  });
}

async function tracked(entry: Entry, start: () => Promise<StartedLab>): Promise<StartedLab> {
  active.add(entry);
  try {
    const started = await start();
    entryOf.set(started, entry);
    return started;
  } catch (error) {
    // A failed up clears what it built; an interrupt's teardown (if one runs) already holds the entry.
    active.delete(entry);
    throw error;
  }
}

/** `provider.down(labName)` (a `down` command), registered while it runs: an interrupt waits for it to finish. */
export async function downByNameTracked(provider: Provider, labName: string): Promise<void> {
  let down: Promise<void> | undefined;
  const entry: Entry = {
    provider: provider.name,
    what: `lab ${labName}`,
    removable: labName,
    done: "taken down",
    teardown: async () => {
      await down?.catch(() => undefined);
      await provider.down(labName);
    },
  };
  active.add(entry);
  down = provider.down(labName);
  await down;
  active.delete(entry);
}

/**
 * Work that cleans up after itself when it ends (a capability probe boots and stops its own
 * kernel): an interrupt meanwhile waits for it to end rather than leave its kernel's files behind.
 */
export async function settledBeforeExit<T>(provider: string, what: string, work: Promise<T>): Promise<T> {
  const entry: Entry = {
    provider,
    what,
    done: "finished (it removes what it made)",
    teardown: async () => {
      await work.catch(() => undefined);
    },
  };
  active.add(entry);
  try {
    return await work;
  } finally {
    active.delete(entry);
  }
}

/** `lab.down()`, still registered while it runs, so an interrupt meanwhile waits for it instead of leaving half a lab. */
export async function downTracked(lab: StartedLab): Promise<void> {
  try {
    await lab.down();
  } finally {
    forget(lab);
  }
}

/** The lab stays up on purpose (`lab up`, after `release()`): nothing to take away any more. */
export function forget(lab: StartedLab): void {
  const entry = entryOf.get(lab);
  if (entry) active.delete(entry);
  entryOf.delete(lab);
}

/** Takes away everything registered, all at once; one line per lab. What fails stays registered (see leftBehind). */
export async function downAll(): Promise<string[]> {
  return Promise.all(
    [...active].map(async (entry) => {
      const result = await entry.teardown().then(
        () => {
          active.delete(entry);
          return entry.done;
        },
        (error: Error) => `teardown failed: ${error.message}`,
      );
      return `${entry.provider} ${entry.what}: ${result}`;
    }),
  );
}

/** Labs this process made that are not (yet) taken down, each with the command that removes it. */
export function leftBehind(): string[] {
  const state = process.env.MACVLAB_STATE_DIR ? `MACVLAB_STATE_DIR=${quoteWord(process.env.MACVLAB_STATE_DIR)} ` : "";
  return [...active].flatMap((e) =>
    e.removable === undefined
      ? []
      : [`${e.provider} ${e.what}: remove it with \`${state}macvlab down ${quoteWord(e.removable)}\``],
  );
}
