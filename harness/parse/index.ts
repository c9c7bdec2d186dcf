export { ParseError } from "./parse-error.ts";
export { parsePing, type PingFlavour, type PingReply, type PingRtt, type PingSummary } from "./ping.ts";
export {
  parseIpLinks, parseIpAddrs, parseIpRoutes,
  type IpLink, type IpLinkInfo, type IpAddr, type IpAddrInfo, type IpRoute,
} from "./ip-json.ts";
export { sameDestination } from "./ip-query.ts";
export { parseRouteN, prefixLength, type RouteNRow } from "./route-n.ts";
export { parseTcpdumpE, type CapturedFrame } from "./tcpdump.ts";
