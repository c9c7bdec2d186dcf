# Sourced by the image builders (deploy/runner-image/build.sh, the vagrant node image's build.sh):
# `scratch_root PREFIX` makes a scratch directory ($work, with $root for the rootfs inside it) and
# removes it on exit, unmounting first what debootstrap mounted under it (proc, sys) — only mounts
# below that directory, which this process made.
scratch_root() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  root="$work/root"
  trap scratch_root_cleanup EXIT
}

scratch_root_cleanup() {
  for m in $(awk -v d="$work" 'index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$work"
}
