import * as allure from "allure-js-commons";
import type { CaptureCheckSpec } from "../model/scenario.ts";
import { expectCapture, type Outcome } from "../expect/index.ts";
import { parseTcpdumpE } from "../parse/index.ts";
import type { StartedLab } from "../providers/provider.ts";
import { InfrastructureError } from "../model/errors.ts";
import { recordedExec } from "./recorded-exec.ts";
import { CAPTURE_SECONDS, captureCommands } from "./check-commands.ts";

/** tcpdump needs a moment to open the socket before the first probe goes out. */
const CAPTURE_WARMUP_MS = 700;

/**
 * Captures on a node's NIC (tcpdump -e, bounded by count and time) while a ping runs from another
 * place, then attaches the pcap and its text. The pcap lives in the node's private /run and is removed.
 */
export async function probeCapture(checkId: string, spec: CaptureCheckSpec, lab: StartedLab): Promise<Outcome> {
  const node = lab.node(spec.node);
  const commands = captureCommands(checkId, spec);
  const capture = recordedExec(node, commands.capture, { timeoutMs: (CAPTURE_SECONDS + 10) * 1000 });
  await new Promise((resolve) => setTimeout(resolve, CAPTURE_WARMUP_MS));
  await recordedExec(lab.node(spec.traffic.from), commands.traffic);
  const captured = await capture;
  // timeout(1) ends tcpdump with 124 when fewer than 50 frames came: that is the normal case.
  if (captured.exitCode !== 0 && captured.exitCode !== 124)
    throw new InfrastructureError(`capture on ${spec.node}/${spec.dev} failed (exit ${captured.exitCode}): ${captured.stderr.trim()}`);
  const text = await recordedExec(node, commands.read);
  const pcap = await recordedExec(node, commands.fetchAndRemove, { label: `read and remove ${commands.file}` });
  await allure.attachment(`capture ${spec.node}/${spec.dev}.pcap`, Buffer.from(pcap.stdout, "base64"), "application/vnd.tcpdump.pcap");
  await allure.attachment(`capture ${spec.node}/${spec.dev} (tcpdump -e -nn)`, text.stdout, "text/plain");
  return expectCapture(spec, parseTcpdumpE(text.stdout), `${spec.node}/${spec.dev}`);
}
