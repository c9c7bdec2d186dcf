import { expect } from "chai";
import { ParseError } from "./parse-error.ts";
import { parseTeamdState } from "./teamd.ts";

// In the shape of `teamdctl team0 state dump` (libteam 1.31): a port's `link` is its carrier as teamd's
// ifinfo watch sees it, `link_watches.up` what the link watches (and so the runner) make of it.
const port = (ifname: string, ifindex: number, link: boolean, watch = link) => ({
  ifinfo: { dev_addr: "08:00:27:00:01:03", dev_addr_len: 6, ifindex, ifname },
  link: { duplex: "full", speed: 1000, up: link },
  link_watches: {
    list: { link_watch_0: { delay_down: 0, delay_up: 0, down_count: link ? 0 : 1, name: "ethtool", up: watch } },
    up: watch,
  },
});

const dump = (extra: object = {}) =>
  JSON.stringify(
    {
      ports: { enp0s3: port("enp0s3", 2, true), enp0s8: port("enp0s8", 3, false) },
      setup: {
        daemonized: true,
        dbus_enabled: false,
        debug_level: 0,
        kernel_team_mode_name: "loadbalance",
        pid: 2741,
        pid_file: "/var/run/teamd/team0.pid",
        runner_name: "loadbalance",
        zmq_enabled: false,
      },
      team_device: { ifinfo: { dev_addr: "08:00:27:00:01:03", dev_addr_len: 6, ifindex: 4, ifname: "team0" } },
      ...extra,
    },
    null,
    4,
  );

describe("teamdctl state dump", () => {
  it("reads the runner and each port's link, and no active port for a runner without one", () => {
    expect(parseTeamdState(dump())).to.deep.equal({
      runner: "loadbalance",
      ports: [
        { name: "enp0s3", up: true },
        { name: "enp0s8", up: false },
      ],
    });
  });

  it("reads the activebackup runner's active port, and its empty name when there is none", () => {
    const ab = (active: string) =>
      parseTeamdState(dump({ setup: { runner_name: "activebackup" }, runner: { active_port: active } }));
    expect(ab("enp0s8")).to.include({ runner: "activebackup", activePort: "enp0s8" });
    expect(ab("")).to.have.property("activePort", "");
  });

  it("a port is up when its link watch says so, which is what the runner acts on, not its bare carrier", () => {
    // An arp_ping watch that gets no answer: carrier up, the port out of the team.
    const watchDown = { ...port("enp0s3", 2, true, false) };
    watchDown.link_watches.list.link_watch_0.name = "arp_ping";
    const state = parseTeamdState(dump({ ports: { enp0s3: watchDown, enp0s8: port("enp0s8", 3, false, true) } }));
    expect(state.ports).to.deep.equal([
      { name: "enp0s3", up: false },
      { name: "enp0s8", up: true },
    ]);
    // Without link watches in the dump, the carrier is all there is.
    const { link_watches: _watches, ...bare } = port("enp0s3", 2, false, true);
    expect(parseTeamdState(dump({ ports: { enp0s3: bare } })).ports).to.deep.equal([{ name: "enp0s3", up: false }]);
  });

  it("a team without ports has none", () => {
    expect(parseTeamdState(dump({ ports: {} })).ports).to.deep.equal([]);
    const { ports: _ports, ...rest } = JSON.parse(dump()) as Record<string, unknown>;
    expect(parseTeamdState(JSON.stringify(rest)).ports).to.deep.equal([]);
  });

  it("refuses what is not JSON, and JSON without a runner or with a port that has no link", () => {
    const notJson = () => parseTeamdState("teamdctl_connect failed (Invalid argument)\n");
    expect(notJson).to.throw(ParseError, /^cannot parse teamdctl state dump output: not JSON/);
    const noSetup = JSON.parse(dump()) as Record<string, unknown>;
    delete noSetup.setup;
    expect(() => parseTeamdState(JSON.stringify(noSetup))).to.throw(ParseError, /unexpected JSON shape/);
    const noLink = dump({ ports: { enp0s3: { ifinfo: { ifname: "enp0s3" } } } });
    expect(() => parseTeamdState(noLink)).to.throw(ParseError, /unexpected JSON shape/);
  });
});
