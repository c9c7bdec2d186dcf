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

  it("reads 802.1Q tags and the payload inside them (a real trunk capture: routed, masqueraded, tagged 200)", () => {
    const frames = parseTcpdumpE(fixture("tcpdump-e-vlan.txt"));
    expect(frames).to.have.length(15);
    expect(frames[0]!.vlans).to.deep.equal([100]);
    expect(frames[2]!.vlans).to.deep.equal([]);
    const echo = frames.find((f) => f.payload.includes("ICMP echo request"))!;
    expect(echo.vlans).to.deep.equal([200]);
    expect(echo.src).to.equal("08:00:27:00:01:03");
    expect(echo.payload).to.equal("172.16.20.1 > 172.16.20.11: ICMP echo request, id 1064, seq 1, length 64");
  });

  it("skips tcpdump's own chatter and refuses other text", () => {
    expect(
      parseTcpdumpE("reading from file x.pcap, link-type EN10MB (Ethernet), snapshot length 262144\n"),
    ).to.deep.equal([]);
    expect(() => parseTcpdumpE("hello world")).to.throw(/cannot parse tcpdump -e -nn output/);
  });
});
