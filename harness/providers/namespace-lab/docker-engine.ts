import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { atMost, NODES_AT_ONCE } from "../../model/at-most.ts";
import { dockerEngine, dockerNodes, type Lab } from "../../model/lab.ts";
import { type LabHost, mustRun } from "./lab-host.ts";
import type { NetnsLayout } from "./layout.ts";

/** What an engine may take to start and load busybox: under UML, a few labs at once on a busy host take minutes. */
const ENGINE_BUDGET_S = 240;

/** What a node's engine leaves in its state dir: teardown reads it to remove the engine's cgroups. */
export const CGROUP_PARENT_FILE = "cgroup-parent";
/** The only shape of cgroup name teardown will remove (random, recorded before dockerd starts). */
export const CGROUP_PARENT_PATTERN = "^macvlab-[0-9a-f]{16}$";

/** The image the articles' `docker run … busybox` finds, as `docker images` shows it. */
export const BUSYBOX_IMAGE = "busybox:latest";
/** The image the article's `docker run … registry:latest` finds (a node with `docker: { images: [registry] }`). */
export const REGISTRY_IMAGE = "registry:latest";

/**
 * A node's own Docker engine, started inside the node (its network, UTS, mount and PID namespaces):
 *  - cgroups: the node's own sysfs hides the host's cgroup mounts, so the same hierarchies are mounted
 *    again inside the node (a kernel without any gets cgroup2), and containers go below a cgroup whose
 *    random name is written down first, so teardown can prove the cgroups it removes are the engine's;
 *  - dockerd with its data root on a tmpfs of the node's (mounted on its state dir), its /etc/docker
 *    a directory of the node's, exec root, pid file and socket in the node's private /run (so the articles' plain `docker …` reaches it), no
 *    bridge, no iptables rules, no forwarding switched on: the node's network is the scenario's;
 *  - busybox: an image made from Debian's static busybox (one binary and its applet links), built once
 *    into the image cache and imported into each engine.
 * dockerd is left running (setsid): it belongs to the node, and teardown ends it with the node.
 */
const ENGINE_UP = String.raw`
set -u
nd=$1 cache=$2 cgroup=$3 budget=$4 bridge=$5 images=$6
umask 077
# The script keeps its own deadline, inside the caller's, so that running out of time says where it
# stood and what dockerd logged rather than ending as a bare exit 124.
started=$(date +%s)
left() { echo $((started + budget - $(date +%s))); }
# late WHAT DAEMON: out of time, with the end of that daemon's log.
late() { echo "$1 after $(($(date +%s) - started)) s (the engine's budget is $budget s); $2's log ends:" >&2; tail -n 15 "$nd/$2.log" >&2; exit 1; }
# bounded WHAT COMMAND...: runs COMMAND within what is left of the budget (none left: late WHAT).
bounded() { what=$1; shift; t=$(left); [ "$t" -gt 0 ] || late "$what" dockerd; timeout "$t" "$@"; }
printf '%s\n' "$cgroup" > "$nd/${CGROUP_PARENT_FILE}" || exit 1
hidden=$(awk '($3 == "cgroup" || $3 == "cgroup2") && index($2, "/sys/fs/cgroup") == 1 { print $2, $3, $4 }' /proc/self/mounts)
if [ -z "$hidden" ]; then
  mount -t cgroup2 macvlab-cgroup2 /sys/fs/cgroup || exit 1
else
  # Hierarchies below /sys/fs/cgroup (cgroup v1) sit on a tmpfs there; a cgroup2 at /sys/fs/cgroup does not.
  case "$hidden" in "/sys/fs/cgroup "*) ;; *) mount -t tmpfs -o mode=0755 macvlab-cgroup /sys/fs/cgroup || exit 1 ;; esac
  echo "$hidden" | while read -r path type opts; do
    mkdir -p "$path" && mount -t "$type" -o "$opts" macvlab-cgroup "$path" || exit 1
  done || exit 1
fi
# The data root on a tmpfs of the node's own: UML's hostfs cannot hold container layers (creating one is
# "operation not supported"), and the engine's files then go with the node's mount namespace.
mkdir -p "$nd/docker" && mount -t tmpfs -o mode=0700,size=1g macvlab-docker "$nd/docker" || exit 1
# dockerd 20.10 keeps a key in /etc/docker/key.json, creating it on first start: the node's own, so the
# host's is neither written nor read (under UML as an ordinary user it could not be).
[ -d /etc/docker ] || { echo "no /etc/docker to put the node's own in its place (apt-get install -y docker.io)" >&2; exit 1; }
mkdir -p "$nd/etc-docker" && mount --bind "$nd/etc-docker" /etc/docker || exit 1
# containerd is started here, not by dockerd: dockerd gives the one it starts itself a fixed minute,
# which a busy UML kernel overruns ("timeout waiting for containerd to start"), and that one would make
# /opt/containerd on the host (its opt plugin's default path). Only what dockerd uses is loaded.
mkdir -p "$nd/docker/containerd" "$nd/docker/containerd-opt" || exit 1
cat > "$nd/containerd.toml" <<EOF || exit 1
version = 2
root = "$nd/docker/containerd"
state = "/run/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "/run/containerd/containerd.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$nd/docker/containerd-opt"
EOF
setsid containerd --config "$nd/containerd.toml" </dev/null >"$nd/containerd.log" 2>&1 &
until timeout 20 ctr --address /run/containerd/containerd.sock version >/dev/null 2>&1; do
  [ "$(left)" -gt 0 ] || late "containerd did not answer" containerd
  sleep 0.2
done
# docker0, when the node asks for it, lives in the node's namespace and NATs nothing: a published port goes through docker-proxy.
[ "$bridge" = docker0 ] && bridge_flags="" || bridge_flags="--bridge none"
setsid dockerd --containerd /run/containerd/containerd.sock --data-root "$nd/docker" --storage-driver vfs $bridge_flags \
  --iptables=false --ip-forward=false --ip-masq=false --cgroup-parent "/$cgroup" </dev/null >"$nd/dockerd.log" 2>&1 &
until timeout 20 docker version >/dev/null 2>&1; do
  [ "$(left)" -gt 0 ] || late "dockerd did not answer" dockerd
  sleep 0.2
done
# Where a failed check's evidence finds the engine's log: the node's private /run, gone with the node.
ln -sfn "$nd/dockerd.log" /run/macvlab-dockerd.log || exit 1
# registry: Debian's docker-registry binary, the libraries it links and a config as the upstream image's
# (no auth, storage in /var/lib/registry), cached as a tarball keyed by the binary's and libc's digests.
registry_image() {
  bounded "the registry image was not looked up" docker image inspect ${REGISTRY_IMAGE} >/dev/null 2>&1 && return 0
  reg=/usr/bin/docker-registry
  [ -x "$reg" ] || { echo "no docker-registry at $reg (apt-get install -y docker-registry)" >&2; exit 1; }
  libs=$(ldd "$reg" | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
  sum=$(cat "$reg" $libs | sha256sum | cut -c1-16)
  tar="$cache/registry-$sum.tar"
  if [ ! -s "$tar" ]; then
    mkdir -p "$cache" && root=$(mktemp -d "$nd/registry-root.XXXXXX") || exit 1
    chmod 0755 "$root" && mkdir -p "$root/usr/bin" "$root/etc/docker/registry" "$root/var/lib/registry" "$root/tmp" &&
      cp "$reg" "$root/usr/bin/" && for lib in $libs; do mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib" || exit 1; done &&
      printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\nhttp:\n  addr: :5000\n' > "$root/etc/docker/registry/config.yml" &&
      part=$(mktemp "$cache/registry.XXXXXX") && tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$part" . &&
      mv -f "$part" "$tar" || { echo "building the registry image failed" >&2; exit 1; }
    rm -rf -- "$root"
  fi
  bounded "the registry image was not imported yet" docker import --change 'ENTRYPOINT ["/usr/bin/docker-registry"]' \
    --change 'CMD ["serve", "/etc/docker/registry/config.yml"]' --change 'EXPOSE 5000/tcp' \
    --message "macvlab: Debian's docker-registry ($sum)" "$tar" ${REGISTRY_IMAGE} >/dev/null ||
    late "importing the registry image failed or did not finish" dockerd
}
for image in $images; do
  case "$image" in registry) registry_image ;; *) echo "unknown image $image" >&2; exit 1 ;; esac
done
bounded "the busybox image was not looked up" docker image inspect ${BUSYBOX_IMAGE} >/dev/null 2>&1 && exit 0
bb=/bin/busybox
[ -x "$bb" ] && ! ldd "$bb" >/dev/null 2>&1 || { echo "no static busybox at $bb (apt-get install -y busybox-static)" >&2; exit 1; }
sum=$(sha256sum "$bb" | cut -c1-16)
tar="$cache/busybox-$sum.tar"
if [ ! -s "$tar" ]; then
  mkdir -p "$cache" && root=$(mktemp -d "$nd/busybox-root.XXXXXX") || exit 1
  chmod 0755 "$root" && mkdir -p "$root/bin" "$root/etc" "$root/root" "$root/proc" "$root/sys" "$root/dev" &&
    mkdir -m 1777 "$root/tmp" && cp "$bb" "$root/bin/busybox" && chroot "$root" /bin/busybox --install -s /bin &&
    printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd" && printf 'root:x:0:\n' > "$root/etc/group" &&
    part=$(mktemp "$cache/busybox.XXXXXX") && tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$part" . &&
    mv -f "$part" "$tar" || { echo "building the busybox image failed" >&2; exit 1; }
  rm -rf -- "$root"
fi
bounded "the busybox image was not imported yet" docker import --change 'CMD ["sh"]' --message "macvlab: Debian's busybox-static ($sum)" "$tar" ${BUSYBOX_IMAGE} >/dev/null ||
  late "importing the busybox image failed or did not finish" dockerd
`;

/**
 * Starts an engine in every node that asks for one, a few nodes at a time (see ENGINE_UP). The script
 * goes as a file in the lab's state dir: a UML console stalls when a few of its size arrive at once.
 */
export async function startEngines(host: LabHost, layout: NetnsLayout, lab: Lab, imageCache: string): Promise<void> {
  const script = join(layout.dir, "engine-up.sh");
  await host.writeFile(script, ENGINE_UP, { mode: 0o600 });
  await atMost(NODES_AT_ONCE, dockerNodes(lab), async (node) => {
    const cgroup = `macvlab-${randomBytes(8).toString("hex")}`;
    const budget = String(ENGINE_BUDGET_S);
    const engine = dockerEngine(lab.nodes[node] ?? { docker: true }) ?? { bridge: false, images: [] };
    const args = [
      layout.nodeDir(node),
      imageCache,
      cgroup,
      budget,
      engine.bridge ? "docker0" : "none",
      engine.images.join(" "),
    ];
    await mustRun(host, [...layout.enter(node), "sh", script, ...args], {
      what: `starting node ${node}'s Docker engine`,
      timeoutMs: (ENGINE_BUDGET_S + 30) * 1000,
    });
  });
}
