import { expect } from "chai";
import { fixture } from "./fixture-files.ts";
import { parseTcpdumpE } from "./tcpdump.ts";

describe("tcpdump -e -nn", () => {
  it("reads untagged frames captured on a veth", () => {
    const frames = parseTcpdumpE(fixture("tcpdump-e-untagged.txt"));
    expect(frames).to.have.length(4);
    expect(frames.every((f) => f.vlans.length === 0)).to.equal(true);
    expect(frames[3]).to.include({ src: "42:68:3e:fe:8d:71", dst: "ee:09:44:fd:0c:6e" });
    expect(frames[3]!.payload).to.match(/^10\.98\.0\.1 > 10\.98\.0\.2: ICMP echo request/);
  });

  it("reads 802.1Q tags, outermost first, and the payload inside them", () => {
    const [frame] = parseTcpdumpE(
      "12:00:00.000001 08:00:27:00:02:03 > 08:00:27:00:03:03, ethertype 802.1Q (0x8100), length 102: vlan 100, p 0, ethertype IPv4 (0x0800), 172.16.10.10 > 172.16.10.11: ICMP echo request, id 7, seq 1, length 64\n",
    );
    expect(frame!.vlans).to.deep.equal([100]);
    expect(frame!.payload).to.equal("172.16.10.10 > 172.16.10.11: ICMP echo request, id 7, seq 1, length 64");
  });

  it("skips tcpdump's own chatter and refuses other text", () => {
    expect(parseTcpdumpE("reading from file x.pcap, link-type EN10MB (Ethernet), snapshot length 262144\n")).to.deep.equal([]);
    expect(() => parseTcpdumpE("hello world")).to.throw(/cannot parse tcpdump -e -nn output/);
  });
});
