#!/usr/bin/env bash
# Builds the nightly runner image, locally and offline (no registry): a Debian minbase rootfs
# (debootstrap) with User-Mode Linux and the tools the UML nodes run, this machine's Node (the
# binary of its Debian `nodejs` package), and the harness at the checked-out commit with its
# production dependencies (`npm ci --omit=dev`, from the committed lockfile); `docker import`s it.
# The image's entry point runs one shard of the UML suite as the unprivileged user `runner`
# (uid 1000), needing no capability at all:
#
#   DOCKER_HOST=unix://… deploy/runner-image/build.sh [TAG]          (default macvlab-runner:latest)
#   docker run --rm --user 1000:1000 --cap-drop ALL --security-opt no-new-privileges \
#     -v "$PWD/shard-2:/results" -e SHARD=2/3 macvlab-runner:latest
#
# Env: MACVLAB_DEBIAN_MIRROR (default http://deb.debian.org/debian), MACVLAB_DEBIAN_SUITE (default bookworm).
set -euo pipefail
tag=${1:-${MACVLAB_RUNNER_IMAGE:-macvlab-runner:latest}}
mirror=${MACVLAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=${MACVLAB_DEBIAN_SUITE:-bookworm}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
for tool in debootstrap docker git npm node; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool not found (apt-get install -y debootstrap docker.io git; Node 20 or later)" >&2; exit 2; }
done
case "$tag" in *[!A-Za-z0-9._:/-]*|"") echo "build.sh: image tag \"$tag\": letters, digits and ._:/- only" >&2; exit 2 ;; esac

# shellcheck source=../lib/scratch-root.sh
. "$here/../lib/scratch-root.sh"
scratch_root macvlab-runner-image

# The harness first (seconds): a bad checkout fails before the long debootstrap.
mkdir -p "$work/macvlab"
git -C "$repo" archive --format=tar HEAD | tar -C "$work/macvlab" -x
(cd "$work/macvlab" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >"$work/npm.log" 2>&1) || { tail -30 "$work/npm.log" >&2; exit 1; }

debootstrap --variant=minbase \
  --include=user-mode-linux,kmod,openssh-server,openssh-client,iproute2,iputils-ping,iptables,tcpdump,net-tools,vlan,libteam-utils,gcc,libc6-dev,libstdc++6,procps,ca-certificates,docker.io,busybox-static,docker-registry \
  "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -30 "$work/debootstrap.log" >&2; exit 1; }

install -m 755 "$(command -v node)" "$root/usr/local/bin/node"
mv "$work/macvlab" "$root/opt/macvlab"
chroot "$root" useradd --uid 1000 --create-home --shell /bin/sh runner
install -d -m 755 -o 1000 -g 1000 "$root/results"
rm -f "$root"/etc/ssh/ssh_host_*
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
echo macvlab-runner >"$root/etc/hostname"

# TMPDIR: UML maps its memory from a file it must be allowed to execute, and Docker mounts /dev/shm noexec.
tar -C "$root" --numeric-owner -c . | docker import \
  --change 'USER 1000:1000' \
  --change 'WORKDIR /home/runner' \
  --change 'ENV MACVLAB_STATE_DIR=/tmp/macvlab-state' \
  --change 'ENV TMPDIR=/tmp' \
  --change 'ENTRYPOINT ["/opt/macvlab/deploy/runner-image/entrypoint.sh"]' \
  - "$tag" >/dev/null
echo "built $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{ printf "%d MB", $1 / 1e6 }'), harness $(git -C "$repo" rev-parse --short HEAD))"
