import { z } from "zod";
import type { Outcome } from "../expect/outcome.ts";
import { CheckCommandError } from "../model/errors.ts";
import { IfName, Ipv4, NodeName } from "../model/names.ts";
import { type CapturedFrame, parseTcpdumpE } from "../parse/tcpdump.ts";
import { type CheckKindModule, defineCheckKind } from "./check-kind.ts";
import { IFNAME_PATTERN, inPlace, oneOrNoPlace, PLACE_FIELDS, PLACE_PREFIX, where } from "./shared.ts";

/** Frames on a NIC while a ping runs elsewhere: are they 802.1Q-tagged, and with which id (tcpdump -e). */
const CaptureSpec = z.strictObject({
  node: NodeName,
  dev: IfName,
  traffic: z.strictObject({ from: NodeName, ...PLACE_FIELDS, to: Ipv4 }).refine(...oneOrNoPlace),
  /** The VLAN id the traffic's frames must carry on `dev`; null: they must be untagged. */
  vlan: z.number().int().min(1).max(4094).nullable(),
});
export type CaptureCheckSpec = z.output<typeof CaptureSpec>;

/**
 * tcpdump's own bound: it must outlast the traffic command, which from a container first asks the
 * node's engine for the container's namespace (seconds on a loaded UML kernel). The check stops the
 * capture itself once the ping is over, so a passing check never waits this out.
 */
const CAPTURE_BOUND_SECONDS = 60;
/** After the ping has ended, how long its requests may take to show up in the pcap. */
const SETTLE_SECONDS = 4;
/** Echo requests the check's ping sends (`ping -c`): once all of them are in the pcap, tcpdump is stopped. */
const PROBES = 3;
/** How often the pcap is read while waiting for the ping's requests to show up in it. */
const SETTLE_POLL_MS = 100;
/**
 * tcpdump needs a moment to open its socket before the first probe goes out (on a loaded UML kernel,
 * more than a second): the probe waits until the node has one more packet socket than before, at most this long.
 */
const CAPTURE_READY_MS = 2000;
const READY_POLL_MS = 100;
/** The node's packet sockets (one line each after a header): tcpdump listening adds one. */
const PACKET_SOCKETS = "cat /proc/net/packet";

/**
 * Packet sockets that receive every protocol and are running: libpcap first opens its socket for no
 * protocol (Proto 0000) and binds it for all (ETH_P_ALL, 0003) only once it is ready to capture.
 */
export function capturingSockets(procNetPacket: string): number {
  return procNetPacket
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3] === "0003" && fields[5] === "1").length;
}
const PCAP = String.raw`/run/macvlab-[a-z0-9-]+\.pcap`;
/** A capture's files are /run/<name>.pcap and /run/<name>.pid: the patterns below tie each command to one capture. */
const CAPTURE_NAME = "macvlab-[a-z0-9-]+";

function captureCommands(checkId: string, spec: CaptureCheckSpec) {
  // The node's private /run: nothing outside the node sees or keeps the files.
  const file = `/run/macvlab-${checkId}.pcap`;
  const pidFile = `/run/macvlab-${checkId}.pid`;
  return {
    file,
    // --immediate-mode: no TPACKET_V3 blocks, whose frames would be lost if `timeout` ends tcpdump before a block retires.
    // The shell records its pid, which `exec` hands to timeout(1): `stop` signals that process and no other.
    capture: `echo $$ > ${pidFile} && exec timeout ${CAPTURE_BOUND_SECONDS} tcpdump -e -nn -U --immediate-mode -i ${spec.dev} -c 50 -w ${file}`,
    traffic: inPlace(spec.traffic, `env LC_ALL=C ping -n -c ${PROBES} -i 0.2 -W 1 ${spec.traffic.to}`),
    read: `tcpdump -e -nn -r ${file}`,
    // timeout(1) passes SIGINT on to tcpdump, which ends cleanly; only if the pid is still this capture's.
    stop: `pid=$(cat ${pidFile}) && grep -qF ${file} /proc/$pid/cmdline && kill -INT $pid`,
    fetchAndRemove: `base64 -w0 ${file} && rm -f ${file} ${pidFile}`,
  };
}

/** The check's own ping's echo requests to the target (all of them in the pcap: the capture can stop). */
function echoRequestsTo(to: string, frames: readonly CapturedFrame[]): CapturedFrame[] {
  return frames.filter((f) => f.payload.includes(`> ${to}: ICMP echo request`));
}

/** ARP requests for the target: what the ping's sender puts on the wire while it has no MAC for it. */
function arpRequestsFor(to: string, frames: readonly CapturedFrame[]): CapturedFrame[] {
  return frames.filter((f) => f.payload.includes(`Request who-has ${to} `));
}

/**
 * Judges the frames of the check's own ping, not whatever else was on the wire: its echo requests and
 * the ARP requests it makes. Both go through the same (sub-)interface, so both carry the tag. The ARP
 * requests count because a target that no longer answers gets no echo request at all once the
 * sender's neighbour entry has failed, a few seconds after its last answer: the tag is on the wire
 * all the same.
 */
export function judgeCapture(spec: CaptureCheckSpec, frames: readonly CapturedFrame[], place: string): Outcome {
  const to = spec.traffic.to;
  const echoes = echoRequestsTo(to, frames);
  const arps = arpRequestsFor(to, frames);
  const mine = [...echoes, ...arps];
  const describe = (vlans: readonly number[]) => (vlans.length ? `tagged vlan ${vlans.join("/")}` : "untagged");
  const sender = where({ node: spec.traffic.from, netns: spec.traffic.netns, container: spec.traffic.container });
  const subject = `${place}: frames of ${sender} → ${to}`;
  const expected = `frames to ${to} ${describe(spec.vlan === null ? [] : [spec.vlan])}`;
  const detail = `${frames.length} frames captured: ${echoes.length} echo requests to ${to}, ${arps.length} ARP requests for it`;
  if (mine.length === 0) return { subject, expected, actual: `no frame to ${to} captured`, detail };
  const seen = [...new Set(mine.map((f) => describe(f.vlans)))];
  return { subject, expected, actual: `frames to ${to} ${seen.join(" and ")}`, detail };
}

/**
 * Captures on a node's NIC (tcpdump -e, bounded by count and time) while a ping runs from another
 * place, then attaches the pcap and its text. The pcap lives in the node's private /run and is removed.
 */
export const capture: CheckKindModule<CaptureCheckSpec> = defineCheckKind({
  schema: CaptureSpec,
  summary:
    "tcpdump -e on a NIC while a ping runs: frames 802.1Q-tagged with `vlan`, or untagged (`null`); pcap attached",
  example: { node: "node1", dev: "enp0s3", traffic: { from: "node2", netns: "box1", to: "172.16.20.11" }, vlan: 100 },
  nodeRefs: (spec) => [
    { node: spec.node, path: ["node"] },
    { node: spec.traffic.from, path: ["traffic", "from"] },
  ],
  places: (spec) => [
    { node: spec.node },
    { node: spec.traffic.from, netns: spec.traffic.netns, container: spec.traffic.container },
  ],
  commands: (spec, { checkId }) => {
    const c = captureCommands(checkId, spec);
    return [
      { node: spec.node, command: PACKET_SOCKETS },
      { node: spec.node, command: c.capture },
      { node: spec.traffic.from, command: c.traffic },
      { node: spec.node, command: c.read },
      { node: spec.node, command: c.stop },
      { node: spec.node, command: c.fetchAndRemove },
    ];
  },
  readOnly: [
    new RegExp(
      String.raw`^echo \$\$ > /run/(${CAPTURE_NAME})\.pid && exec timeout \d+ tcpdump -e -nn -U --immediate-mode -i ${IFNAME_PATTERN} -c \d+ -w /run/\1\.pcap$`,
    ),
    new RegExp(String.raw`^${PLACE_PREFIX}env LC_ALL=C ping -n -c \d+ -i [\d.]+ -W \d+ [\d.]+$`),
    new RegExp(`^tcpdump -e -nn -r ${PCAP}$`),
    /^cat \/proc\/net\/packet$/,
    // Only the process that recorded its pid for this very capture file.
    new RegExp(
      String.raw`^pid=\$\(cat /run/(${CAPTURE_NAME})\.pid\) && grep -qF /run/\1\.pcap /proc/\$pid/cmdline && kill -INT \$pid$`,
    ),
    // The capture's own files in the node's private /run, and nothing else.
    new RegExp(String.raw`^base64 -w0 /run/(${CAPTURE_NAME})\.pcap && rm -f /run/\1\.pcap /run/\1\.pid$`),
  ],
  defaultDeadlineMs: () => 0,
  oneShot: () => true,
  graded: true,
  async probe(spec, env, { checkId }) {
    const commands = captureCommands(checkId, spec);
    const sockets = async () => capturingSockets((await env.exec(spec.node, PACKET_SOCKETS)).stdout);
    const before = await sockets();
    const capturing = env.exec(spec.node, commands.capture, { timeoutMs: (CAPTURE_BOUND_SECONDS + 10) * 1000 });
    // Its failure is read below, after the traffic; until then it must not go unhandled.
    let ended = false;
    capturing.then(
      () => {
        ended = true;
      },
      () => {
        ended = true;
      },
    );
    for (let waited = 0; waited < CAPTURE_READY_MS && (await sockets()) <= before; waited += READY_POLL_MS)
      await env.sleep(READY_POLL_MS);
    await env.exec(spec.traffic.from, commands.traffic);
    // The ping is over: stop the capture as soon as every request it sent is in the file, or after
    // the settle time when fewer are (a check that will fail).
    // Each look is a command, which takes most of a second on a loaded UML kernel: its time counts too.
    for (let waited = 0; !ended && waited < SETTLE_SECONDS * 1000; ) {
      const looked = performance.now();
      const sofar = parseTcpdumpE((await env.exec(spec.node, commands.read)).stdout);
      if (echoRequestsTo(spec.traffic.to, sofar).length >= PROBES) break;
      await env.sleep(SETTLE_POLL_MS);
      waited += Math.max(SETTLE_POLL_MS, performance.now() - looked);
    }
    if (!ended) await env.exec(spec.node, commands.stop);
    const captured = await capturing;
    // timeout(1) ends tcpdump with 124 when fewer than 50 frames came: that is the normal case.
    if (captured.exitCode !== 0 && captured.exitCode !== 124)
      throw new CheckCommandError(
        `capture on ${spec.node}/${spec.dev} failed (exit ${captured.exitCode}): ${captured.stderr.trim()}`,
      );
    const text = await env.exec(spec.node, commands.read);
    const pcap = await env.exec(spec.node, commands.fetchAndRemove, { label: `read and remove ${commands.file}` });
    const place = `${spec.node}/${spec.dev}`;
    // Cut base64 would decode to a broken file: say so instead (only with a tiny MACVLAB_OUTPUT_CAP_BYTES).
    if (pcap.truncated)
      await env.attach(`capture ${place}.pcap (not attached)`, "the pcap was longer than the output cap", "text/plain");
    else await env.attach(`capture ${place}.pcap`, Buffer.from(pcap.stdout, "base64"), "application/vnd.tcpdump.pcap");
    await env.attach(`capture ${place} (tcpdump -e -nn)`, text.stdout, "text/plain");
    return judgeCapture(spec, parseTcpdumpE(text.stdout), place);
  },
});
