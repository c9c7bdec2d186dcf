import { z } from "zod";
import { parseJson } from "./json.ts";

// Loose: teamd adds per-runner and per-link-watch fields; only the runner and the ports' links are read.
// `link` is the port's carrier; `link_watches.up` is what the team's link watches make of it, which is
// what its runner acts on (they differ under an arp_ping watch, or during a watch's delay_up/down).
const portSchema = z.looseObject({
  link: z.looseObject({ up: z.boolean() }),
  link_watches: z.looseObject({ up: z.boolean() }).optional(),
});
const stateSchema = z.looseObject({
  setup: z.looseObject({ runner_name: z.string() }),
  ports: z.record(z.string(), portSchema).default({}),
  runner: z.looseObject({ active_port: z.string().optional() }).optional(),
});

/** What `teamdctl DEV state dump` says about a team: its runner, its ports and whether its link watches see each up. */
export interface TeamState {
  readonly runner: string;
  readonly ports: ReadonlyArray<{ readonly name: string; readonly up: boolean }>;
  /** activebackup runner only: the port that carries the traffic ("" when none). */
  readonly activePort?: string;
}

export function parseTeamdState(json: string): TeamState {
  const { setup, ports, runner } = parseJson("teamdctl state dump", json, stateSchema);
  return {
    runner: setup.runner_name,
    ports: Object.entries(ports).map(([name, port]) => ({ name, up: port.link_watches?.up ?? port.link.up })),
    ...(runner?.active_port !== undefined ? { activePort: runner.active_port } : {}),
  };
}
