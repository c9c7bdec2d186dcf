#!/usr/bin/env bash
# Builds the node image for the Vagrantfile's docker provider, locally (no registry exists here):
# a Debian minbase rootfs (debootstrap) with OpenSSH, iproute2, iputils-ping, tcpdump, iptables,
# net-tools, vlan and sudo, a `vagrant` user with Vagrant's insecure key (Vagrant swaps it for a
# fresh key at `up`) and passwordless sudo; host keys are generated when a container starts.
#
#   DOCKER_HOST=unix://… harness/providers/vagrant/node-image/build.sh [TAG]   (default macvlab-node:latest)
# Env: MACVLAB_DEBIAN_MIRROR (default http://deb.debian.org/debian), MACVLAB_DEBIAN_SUITE (default bookworm),
#      MACVLAB_NODE_ROOTFS_CACHE (an absolute path to a .tar: imported as it is when present, written after a
#      build when not; delete it to build afresh — one CI run builds once for two engines this way).
set -euo pipefail
tag=${1:-${MACVLAB_NODE_IMAGE:-macvlab-node:latest}}
mirror=${MACVLAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=${MACVLAB_DEBIAN_SUITE:-bookworm}
cache=${MACVLAB_NODE_ROOTFS_CACHE:-}
case "$cache" in '' | /*.tar) ;; *) echo "build.sh: MACVLAB_NODE_ROOTFS_CACHE=$cache: give an absolute path ending in .tar" >&2; exit 2 ;; esac
import_rootfs() {
  docker import \
    --change 'CMD ["/bin/sh", "-c", "mkdir -p /run/sshd && ssh-keygen -A >/dev/null && exec /usr/sbin/sshd -D -e"]' \
    --change 'EXPOSE 22' - "$tag" >/dev/null
  echo "built $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{ printf "%d MB", $1 / 1e6 }'))${1:+ $1}"
}
if [ -n "$cache" ] && [ -f "$cache" ] && [ -s "$cache" ]; then
  import_rootfs "from the cached rootfs $cache" <"$cache"
  exit 0
fi

for tool in debootstrap docker; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool not found (apt-get install -y debootstrap docker.io)" >&2; exit 2; }
done
key=""
for k in /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub /opt/vagrant/embedded/gems/gems/vagrant-*/keys/vagrant.pub; do
  [ -f "$k" ] && key=$k
done
# Without Vagrant the image still serves the containers provider (commands through `docker exec`, no login).
[ -n "$key" ] || echo "build.sh: Vagrant's insecure public key (keys/vagrant.pub) not found: the image gets no vagrant user (enough for --provider containers; install vagrant first for --provider vagrant)" >&2

# shellcheck source=../../../../deploy/lib/scratch-root.sh
. "$(dirname "$0")/../../../../deploy/lib/scratch-root.sh"
scratch_root macvlab-node-image

debootstrap --variant=minbase \
  --include=openssh-server,iproute2,iputils-ping,tcpdump,iptables,net-tools,vlan,sudo,procps,ca-certificates \
  "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -30 "$work/debootstrap.log" >&2; exit 1; }

if [ -n "$key" ]; then
  chroot "$root" useradd --create-home --shell /bin/sh vagrant
  chroot "$root" usermod -p '*' vagrant   # no password, but not "locked" (sshd refuses locked accounts without PAM)
  install -d -m 700 -o 1000 -g 1000 "$root/home/vagrant/.ssh"
  install -m 600 -o 1000 -g 1000 "$key" "$root/home/vagrant/.ssh/authorized_keys"
  printf 'vagrant ALL=(ALL) NOPASSWD: ALL\nDefaults:vagrant !requiretty\n' >"$root/etc/sudoers.d/vagrant"
  chmod 440 "$root/etc/sudoers.d/vagrant"
fi
cat >"$root/etc/ssh/sshd_config.d/macvlab.conf" <<'CONF'
# Containers have no audit/loginuid capability: PAM's session modules would refuse every login.
UsePAM no
PasswordAuthentication no
UseDNS no
PrintMotd no
AcceptEnv MACVLAB_EXEC_ID
SetEnv LC_ALL=C
CONF
rm -f "$root"/etc/ssh/ssh_host_*
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
echo macvlab-node >"$root/etc/hostname"

if [ -n "$cache" ]; then
  tar -C "$root" --numeric-owner -c . >"$cache.partial" && mv -f "$cache.partial" "$cache"
  import_rootfs "(rootfs kept in $cache)" <"$cache"
else
  tar -C "$root" --numeric-owner -c . | import_rootfs
fi
