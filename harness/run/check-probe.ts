import { InfrastructureError } from "../model/errors.ts";
import type { CheckSpec, PingCheckSpec } from "../model/scenario.ts";
import { expectLink, expectMac, expectPing, expectRoute, expectStep, expectSysctl, type Outcome } from "../expect/index.ts";
import { parseIpLinks, parseIpRoutes, parsePing } from "../parse/index.ts";
import type { StartedLab } from "../providers/provider.ts";
import type { ShellResult } from "../transport/shell.ts";
import { probeCapture } from "./capture-probe.ts";
import { recordedExec } from "./recorded-exec.ts";
import { linkCommand, pingCommand, routeCommand, sysctlCommand } from "./check-commands.ts";

export interface ProbeContext {
  readonly lab: StartedLab;
  /** How setup steps with an id ended, for `step` checks. */
  readonly steps: ReadonlyMap<string, ShellResult>;
}

/** iputils: 1 = no reply; 2 with these texts = the kernel refused to send, which is also "unreachable". */
const UNREACHABLE_TEXT = /Network is unreachable|No route to host|Destination Host Unreachable/;

function where(node: string, netns?: string): string {
  return netns ? `${node}/${netns}` : node;
}

/** Runs a check's read-only command(s) once and judges what came back. */
export async function probeCheck(check: CheckSpec, ctx: ProbeContext, deadlineMs: number): Promise<Outcome> {
  if (check.ping) {
    const spec = check.ping;
    const result = await recordedExec(ctx.lab.node(spec.from), pingCommand(spec, deadlineMs), { timeoutMs: deadlineMs + 5000 });
    const text = `${result.stdout}\n${result.stderr}`;
    if (result.exitCode !== 0 && result.exitCode !== 1 && !UNREACHABLE_TEXT.test(text))
      throw new InfrastructureError(`check ${check.id} could not run ping on ${where(spec.from, spec.netns)} (exit ${result.exitCode ?? result.signal}): ${result.stderr.trim() || result.stdout.trim()}`);
    return expectPing(spec, parsePing(result.stdout, result.stderr), where(spec.from, spec.netns));
  }
  if (check.route) {
    const spec = check.route;
    const result = await mustRun(ctx, spec.node, routeCommand(spec));
    return expectRoute(spec, parseIpRoutes(result.stdout), where(spec.node, spec.netns));
  }
  if (check.link) {
    const spec = check.link;
    const result = await recordedExec(ctx.lab.node(spec.node), linkCommand(spec));
    const missing = result.exitCode !== 0 && /does not exist/.test(result.stderr);
    if (result.exitCode !== 0 && !missing) throw infra(check.id, result);
    return expectLink(spec, missing ? undefined : parseIpLinks(result.stdout)[0], where(spec.node, spec.netns));
  }
  if (check.mac) {
    const { a, b } = check.mac;
    const read = async (side: typeof a) => {
      const result = await recordedExec(ctx.lab.node(side.node), linkCommand(side, false));
      return result.exitCode === 0 ? parseIpLinks(result.stdout)[0] : undefined;
    };
    return expectMac(check.mac, await read(a), await read(b), `${where(a.node, a.netns)}:${a.dev}`, `${where(b.node, b.netns)}:${b.dev}`);
  }
  if (check.sysctl) {
    const spec = check.sysctl;
    const result = await mustRun(ctx, spec.node, sysctlCommand(spec));
    return expectSysctl(spec, result.stdout, where(spec.node, spec.netns));
  }
  if (check.step) return expectStep(check.step, ctx.steps.get(check.step.id));
  if (check.capture) return probeCapture(check.id, check.capture, ctx.lab);
  throw new Error(`check ${check.id} has no kind`); // the schema makes this unreachable
}

async function mustRun(ctx: ProbeContext, node: string, command: string): Promise<ShellResult> {
  const result = await recordedExec(ctx.lab.node(node), command);
  if (result.failed) throw infra("", result);
  return result;
}

function infra(checkId: string, result: ShellResult): InfrastructureError {
  return new InfrastructureError(`${checkId ? `check ${checkId}: ` : ""}read-only command failed on ${result.node} (exit ${result.exitCode ?? result.signal}): ${result.command}\n${result.stderr.trim()}`);
}

export function defaultDeadlineMs(check: CheckSpec): number {
  if (check.deadline_ms !== undefined) return check.deadline_ms;
  if (check.ping) return check.ping.expect === "unreachable" ? 1000 : 5000;
  if (check.step || check.capture) return 0;
  return 2000;
}
