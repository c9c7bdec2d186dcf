import { expect } from "chai";
import { fixture } from "./fixture-files.ts";
import { ParseError } from "./parse-error.ts";
import { parseTcpdumpE } from "./tcpdump.ts";

describe("tcpdump -e -nn", () => {
  it("reads untagged frames captured on a veth", () => {
    const frames = parseTcpdumpE(fixture("tcpdump-e-untagged.txt"));
    expect(frames).to.have.length(4);
    expect(frames.every((f) => f.vlans.length === 0)).to.equal(true);
    expect(frames[3]).to.deep.equal({
      time: "11:54:25.254937",
      src: "42:68:3e:fe:8d:71",
      dst: "ee:09:44:fd:0c:6e",
      vlans: [],
      payload: "10.98.0.1 > 10.98.0.2: ICMP echo request, id 21415, seq 1, length 64",
    });
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

  // Hand-written from the format strings of tcpdump's print-ether.c (4.99; 4.9 where said).
  describe("link-layer shapes the captures do not have", () => {
    const frame = (linkLayer: string) =>
      parseTcpdumpE(`11:58:18.356702 08:00:27:00:01:03 > 01:80:c2:00:00:00, ${linkLayer}\n`)[0]!;

    it("an 802.3 frame (a length, not an ethertype: STP) keeps its whole payload", () => {
      const stp = frame(
        "802.3, length 52: LLC, dsap STP (0x42) Individual, ssap STP (0x42) Command, ctrl 0x03: STP 802.1d, Config",
      );
      expect(stp.vlans).to.deep.equal([]);
      expect(stp.payload).to.equal(
        "LLC, dsap STP (0x42) Individual, ssap STP (0x42) Command, ctrl 0x03: STP 802.1d, Config",
      );
    });

    it("stacked tags (QinQ) come outermost first, and the payload is inside the innermost", () => {
      const qinq = frame(
        "ethertype 802.1Q-QinQ (0x88a8), length 106: vlan 10, p 0, ethertype 802.1Q (0x8100), vlan 200, p 0, " +
          "ethertype IPv4 (0x0800), 172.16.20.1 > 172.16.20.11: ICMP echo request, id 7, seq 1, length 64",
      );
      expect(qinq.vlans).to.deep.equal([10, 200]);
      expect(qinq.payload).to.equal("172.16.20.1 > 172.16.20.11: ICMP echo request, id 7, seq 1, length 64");
    });

    it("a tag with its DEI bit, and tcpdump 4.9's inner type without the number", () => {
      const dei = frame(
        "ethertype 802.1Q (0x8100), length 102: vlan 200, p 5, DEI, ethertype IPv4, 172.16.20.1 > 172.16.20.11: ICMP echo request, id 7, seq 1, length 64",
      );
      expect(dei.vlans).to.deep.equal([200]);
      expect(dei.payload).to.equal("172.16.20.1 > 172.16.20.11: ICMP echo request, id 7, seq 1, length 64");
    });

    it("a tagged 802.3 frame (tcpdump 4.9 prints no inner type for a length)", () => {
      const tagged = frame("ethertype 802.1Q (0x8100), length 64: vlan 100, p 0, LLC, dsap STP (0x42) Individual");
      expect(tagged.vlans).to.deep.equal([100]);
      expect(tagged.payload).to.equal("LLC, dsap STP (0x42) Individual");
    });
  });

  it("skips tcpdump's own chatter and blank lines", () => {
    const text = [
      "reading from file x.pcap, link-type EN10MB (Ethernet), snapshot length 262144",
      "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode",
      "   ",
      "1 packet captured",
      "12 packets received by filter",
      "0 packets dropped by kernel",
      "",
    ].join("\n");
    expect(parseTcpdumpE(text)).to.deep.equal([]);
  });

  it("reads CRLF output like LF output, as the ping and route -n parsers do", () => {
    const lf = fixture("tcpdump-e-vlan.txt");
    expect(parseTcpdumpE(lf.replaceAll("\n", "\r\n"))).to.deep.equal(parseTcpdumpE(lf));
  });

  it("refuses other text, naming the tool: a shell's complaint, or another timestamp format (-tttt)", () => {
    expect(() => parseTcpdumpE("hello world")).to.throw(
      ParseError,
      /^cannot parse tcpdump -e -nn output: a frame line/,
    );
    expect(() => parseTcpdumpE("bash: line 1: tcpdump: command not found\n")).to.throw(ParseError, /command not found/);
    const tttt =
      "2024-05-01 11:54:25.254937 42:68:3e:fe:8d:71 > ee:09:44:fd:0c:6e, ethertype IPv4 (0x0800), length 98: 10.98.0.1 > 10.98.0.2: ICMP echo request, id 21415, seq 1, length 64";
    expect(() => parseTcpdumpE(tttt)).to.throw(ParseError);
  });

  it("refuses a frame line without the link-layer type and length (tcpdump without -e)", () => {
    const noE = "11:54:25.254937 42:68:3e:fe:8d:71 > ee:09:44:fd:0c:6e, 10.98.0.1 > 10.98.0.2: ICMP echo request";
    expect(() => parseTcpdumpE(noE)).to.throw(ParseError);
  });
});
