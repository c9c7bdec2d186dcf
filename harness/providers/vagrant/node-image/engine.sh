#!/usr/bin/env bash
# A private Docker engine for the vagrant provider's docker backend, inside its OWN network namespace
# (its docker0/br-* bridges, iptables and published ports live there, never in the host's root one).
#
#   engine.sh start DIR   # prints: DOCKER_HOST=unix://DIR/docker.sock  NETNS=DIR/net
#   engine.sh stop DIR    # stops dockerd and every container, unmounts and removes DIR
#
# Run vagrant and the harness in that namespace too:  nsenter --net=DIR/net env DOCKER_HOST=... cmd
# (`ip netns exec` breaks dockerd's cgroup view; `nsenter --net=` does not.)
set -euo pipefail
cmd=${1:?usage: engine.sh start|stop DIR}
dir=${2:?usage: engine.sh start|stop DIR}
dir=$(realpath -m "$dir")

mounted_under() { awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r || true; }

stop() {
  [ -d "$dir" ] || return 0
  if [ -s "$dir/dockerd.pid" ]; then
    pid=$(cat "$dir/dockerd.pid")
    if kill -0 "$pid" 2>/dev/null; then
      # dockerd stops its containers and containerd on SIGTERM; give it a moment, then force.
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  # Whatever still runs in the engine's network namespace (containerd shims, container processes).
  if [ -e "$dir/net" ] && grep -q " $dir/net " /proc/self/mounts; then
    ino=$(stat -L -c %i "$dir/net")
    for _ in 1 2 3 4 5; do
      # (find complains about processes that vanish mid-scan: not an error here)
      pids=$(find -L /proc/[0-9]*/ns/net -maxdepth 0 -inum "$ino" 2>/dev/null | cut -d/ -f3 | tr '\n' ' ' || true)
      [ -z "${pids// /}" ] && break
      kill -KILL $pids 2>/dev/null || true
      sleep 0.3
    done
  fi
  # containerd-shims re-parent to init and keep their own net namespace: find them by their socket dir.
  for pid in $(pgrep -f "containerd-shim.*$dir" || true); do kill -KILL "$pid" 2>/dev/null || true; done
  for _ in 1 2 3 4 5; do
    m=$(mounted_under)
    [ -z "$m" ] && break
    for x in $m; do umount "$x" 2>/dev/null || umount -l "$x" 2>/dev/null || true; done
  done
  left=$(mounted_under)
  [ -n "$left" ] && { echo "engine.sh: still mounted under $dir: $left" >&2; return 1; }
  rm -rf "$dir"
}

start() {
  command -v dockerd >/dev/null || { echo "engine.sh: dockerd not found (apt-get install -y docker.io)" >&2; exit 2; }
  stop
  mkdir -p "$dir"
  # A private mount: the namespace file can be bind-mounted here, and nothing propagates to the host.
  mount --bind "$dir" "$dir"
  mount --make-private "$dir"
  touch "$dir/net"
  unshare --net="$dir/net" true
  nsenter --net="$dir/net" ip link set lo up
  mkdir -p "$dir/data" "$dir/exec"
  # setsid: dockerd is not in our process group (a Ctrl-C of the caller must not half-kill it).
  nsenter --net="$dir/net" setsid dockerd --storage-driver=vfs --data-root "$dir/data" --exec-root "$dir/exec" \
    -H "unix://$dir/docker.sock" --pidfile "$dir/dockerd.pid" --ip-forward=false --ip-masq=false --iptables=false \
    --userland-proxy=true >"$dir/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 120); do
    if DOCKER_HOST="unix://$dir/docker.sock" timeout 5 docker info >/dev/null 2>&1; then
      echo "DOCKER_HOST=unix://$dir/docker.sock NETNS=$dir/net"
      return 0
    fi
    sleep 0.5
  done
  echo "engine.sh: dockerd did not answer within 60 s; its log:" >&2
  tail -20 "$dir/dockerd.log" >&2
  stop
  exit 1
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: engine.sh start|stop DIR" >&2; exit 2 ;;
esac
