export { type FdbEntry, parseBridgeFdb } from "./bridge-fdb.ts";
export {
  type DockerContainer,
  type DockerNetwork,
  parseDockerContainer,
  parseDockerNetwork,
} from "./docker-inspect.ts";
export {
  type IpAddr,
  type IpAddrInfo,
  type IpLink,
  type IpLinkInfo,
  type IpRoute,
  parseIpAddrs,
  parseIpLinks,
  parseIpRoutes,
} from "./ip-json.ts";
export { sameDestination } from "./ip-query.ts";
export { ParseError } from "./parse-error.ts";
export { type PingFlavour, type PingReply, type PingRtt, type PingSummary, parsePing } from "./ping.ts";
export { type Interruption, interruption, type PingTimeline, parsePingTimeline } from "./ping-timeline.ts";
export { parseRouteN, prefixLength, type RouteNRow } from "./route-n.ts";
export { type CapturedFrame, parseTcpdumpE } from "./tcpdump.ts";
export { parseTeamdState, type TeamState } from "./teamd.ts";
