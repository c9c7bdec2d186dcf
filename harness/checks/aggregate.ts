import { z } from "zod";
import { holds, type Outcome } from "../expect/outcome.ts";
import { IfName, NodeName } from "../model/names.ts";
import { parseIpLinks } from "../parse/ip-json.ts";
import { parseTeamdState } from "../parse/teamd.ts";
import { type CheckKindModule, defineCheckKind, type ProbeEnv } from "./check-kind.ts";
import { commandFailed, IFNAME_PATTERN, mustSucceed } from "./shared.ts";

/** A bond or team as the aggregate itself sees it: mode / runner, link monitoring, active port, its ports' links. */
const AggregateSpec = z
  .strictObject({
    node: NodeName,
    dev: IfName,
    kind: z.enum(["bond", "team"]),
    /** bond: its mode (active-backup, balance-rr, 802.3ad…); team: its runner (loadbalance, activebackup…). */
    mode: z
      .string()
      .regex(/^[a-z0-9.-]{2,20}$/)
      .optional(),
    /** bond only: the MII link-monitoring interval in ms (0: the bond never notices a dead link). */
    miimon: z.number().int().min(0).max(60_000).optional(),
    /** The port that carries the traffic (bond active-backup; team activebackup). */
    active: IfName.optional(),
    /** Exactly these ports, in any order. */
    ports: z.array(IfName).optional(),
    /** Ports whose link the aggregate sees up (bond: MII status; team: its link watch). */
    ports_up: z.array(IfName).optional(),
    ports_down: z.array(IfName).optional(),
  })
  .refine((spec) => spec.kind === "bond" || spec.miimon === undefined, {
    message: "miimon is a bond setting (a team's link watch has its own)",
    path: ["miimon"],
  });
export type AggregateCheckSpec = z.output<typeof AggregateSpec>;

/** What the aggregate says about itself, from either source. */
export interface AggregateState {
  readonly kind: string;
  readonly mode?: string;
  readonly miimon?: number;
  readonly active?: string;
  readonly ports: ReadonlyArray<{ readonly name: string; readonly up: boolean }>;
}

const bondCommands = (dev: string) => ({
  own: `ip -j -d link show dev ${dev}`,
  ports: `ip -j -d link show master ${dev}`,
});
const teamCommand = (dev: string) => `teamdctl ${dev} state dump`;
const procBonding = (dev: string) => `cat /proc/net/bonding/${dev}`;

function commandsFor(spec: AggregateCheckSpec): string[] {
  if (spec.kind === "team") return [teamCommand(spec.dev)];
  const { own, ports } = bondCommands(spec.dev);
  return [own, ports, procBonding(spec.dev)];
}

/** Only the facets the scenario asks for are compared, each rendered the same way on both sides. */
export function judgeAggregate(spec: AggregateCheckSpec, state: AggregateState | undefined, place: string): Outcome {
  const subject = `${place}: ${spec.kind} ${spec.dev}`;
  const facets = (seen: AggregateState | undefined): string[] => {
    const out = [`${spec.kind} present`];
    const port = (name: string) => seen?.ports.find((p) => p.name === name);
    if (spec.mode) out.push(`${spec.kind === "team" ? "runner" : "mode"} ${seen ? (seen.mode ?? "none") : spec.mode}`);
    if (spec.miimon !== undefined) out.push(`miimon ${seen ? (seen.miimon ?? "none") : spec.miimon}`);
    if (spec.active) out.push(`active ${seen ? seen.active || "none" : spec.active}`);
    if (spec.ports)
      out.push(`ports ${(seen ? seen.ports.map((p) => p.name) : spec.ports).toSorted().join(",") || "none"}`);
    for (const name of spec.ports_up ?? [])
      out.push(`${name} ${seen ? (port(name) ? (port(name)?.up ? "up" : "down") : "not a port") : "up"}`);
    for (const name of spec.ports_down ?? [])
      out.push(`${name} ${seen ? (port(name) ? (port(name)?.up ? "up" : "down") : "not a port") : "down"}`);
    return out;
  };
  const expected = facets(undefined).join(", ");
  if (!state) return { subject, expected, actual: `no ${spec.kind} ${spec.dev}`, detail: "" };
  const ports = state.ports.map((p) => `${p.name} ${p.up ? "up" : "down"}`).join(", ");
  return {
    subject,
    expected,
    actual: facets(state).join(", "),
    detail: `${state.kind} ${state.mode ?? "?"}${state.active ? `, active ${state.active}` : ""}; ports: ${ports || "none"}`,
  };
}

async function readBond(spec: AggregateCheckSpec, env: ProbeEnv, checkId: string): Promise<AggregateState | undefined> {
  const commands = bondCommands(spec.dev);
  const own = await env.exec(spec.node, commands.own);
  if (own.exitCode !== 0 && /does not exist/.test(own.stderr)) return undefined;
  const link = parseIpLinks(mustSucceed(checkId, own).stdout)[0];
  if (link?.linkinfo?.info_kind !== "bond") return undefined;
  const data = link.linkinfo.info_data;
  const ports = parseIpLinks(mustSucceed(checkId, await env.exec(spec.node, commands.ports)).stdout);
  return {
    kind: "bond",
    ...(data?.mode ? { mode: data.mode } : {}),
    ...(data?.miimon !== undefined ? { miimon: data.miimon } : {}),
    ...(data?.active_slave ? { active: data.active_slave } : {}),
    ports: ports.map((p) => ({ name: p.ifname, up: p.linkinfo?.info_slave_data?.mii_status === "UP" })),
  };
}

async function readTeam(spec: AggregateCheckSpec, env: ProbeEnv, checkId: string): Promise<AggregateState | undefined> {
  const result = await env.exec(spec.node, teamCommand(spec.dev));
  // No such device (teamdctl: `Device "team0" does not exist`), or teamdctl cannot reach a teamd for it: no team
  // (or its daemon is gone, which is the same to traffic).
  if (result.exitCode !== 0 && /(does not exist|Failed to connect|No such file)/i.test(result.stderr)) return undefined;
  if (result.failed) throw commandFailed(checkId, result);
  const team = parseTeamdState(result.stdout);
  return {
    kind: "team",
    mode: team.runner,
    ...(team.activePort !== undefined ? { active: team.activePort } : {}),
    ports: team.ports,
  };
}

export const aggregate: CheckKindModule<AggregateCheckSpec> = defineCheckKind({
  schema: AggregateSpec,
  summary:
    "a bond (`ip -d -j link`) or team (`teamdctl … state dump`): `mode` / runner, `miimon`, `active` port, `ports`, `ports_up` / `ports_down`",
  example: { node: "node1", dev: "bond1", kind: "bond", mode: "active-backup", miimon: 100, active: "enp0s3" },
  nodeRefs: (spec) => [{ node: spec.node, path: ["node"] }],
  places: (spec) => [{ node: spec.node }],
  commands: (spec) => commandsFor(spec).map((command) => ({ node: spec.node, command })),
  readOnly: [
    new RegExp(`^ip -j -d link show (dev|master) ${IFNAME_PATTERN}$`),
    new RegExp(`^teamdctl ${IFNAME_PATTERN} state dump$`),
    new RegExp(`^cat /proc/net/bonding/${IFNAME_PATTERN}$`),
  ],
  // A bond notices a link within miimon; teamd's link watch within a moment.
  defaultDeadlineMs: () => 3000,
  oneShot: () => false,
  graded: true,
  async probe(spec, env, { checkId }) {
    const state = spec.kind === "bond" ? await readBond(spec, env, checkId) : await readTeam(spec, env, checkId);
    const outcome = judgeAggregate(spec, state, spec.node);
    // The bonding driver's own account (link failure counts, the MII status it last saw) beside a verdict that failed.
    if (spec.kind === "bond" && state && !holds(outcome)) {
      const proc = await env.exec(spec.node, procBonding(spec.dev));
      if (proc.exitCode === 0) await env.attach(`${spec.node}: ${procBonding(spec.dev)}`, proc.stdout, "text/plain");
    }
    return outcome;
  },
});
