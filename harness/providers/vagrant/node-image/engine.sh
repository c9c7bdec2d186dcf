#!/usr/bin/env bash
# A private Docker engine for the vagrant provider's docker backend, inside its OWN network namespace
# (its docker0/br-* bridges, iptables and published ports live there, never in the host's root one).
#
#   engine.sh start DIR   # prints: DOCKER_HOST=unix://DIR/docker.sock  NETNS=DIR/net  STORAGE=overlay2|vfs
#   engine.sh stop DIR    # stops dockerd and every container, unmounts and removes DIR
#
# Run vagrant and the harness in that namespace too:  nsenter --net=DIR/net env DOCKER_HOST=... cmd
# (`ip netns exec` breaks dockerd's cgroup view; `nsenter --net=` does not.)
set -euo pipefail
cmd=${1:?usage: engine.sh start|stop DIR}
dir=${2:?usage: engine.sh start|stop DIR}
dir=$(realpath -m "$dir")

marker=.macvlab-lab # what makes $dir ours: stop touches nothing in a directory without it
mounted_under() { awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r || true; }

# "pid starttime" of a process (field 22 of /proc/PID/stat; comm may hold spaces, so cut after the last ')').
identity() { [ -r "/proc/$1/stat" ] && echo "$1 $(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20)"; }

# The pid dockerd wrote, only if it is still that dockerd: a number above 1, the start time recorded at
# start, and a command line naming this engine's own pid file. Anything else is stale and never signalled.
our_dockerd() {
  [ -s "$dir/dockerd.pid" ] || return 1
  pid=$(cat "$dir/dockerd.pid")
  case "$pid" in '' | *[!0-9]*) echo "engine.sh: $dir/dockerd.pid holds no pid; not signalling" >&2; return 1 ;; esac
  [ "$pid" -gt 1 ] || { echo "engine.sh: $dir/dockerd.pid names pid $pid; not signalling" >&2; return 1; }
  kill -0 "$pid" 2>/dev/null || return 1
  if [ "$(identity "$pid")" != "$(cat "$dir/dockerd.identity" 2>/dev/null)" ] ||
    ! tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qxF -- "$dir/dockerd.pid"; then
    echo "engine.sh: pid $pid is not this engine's dockerd (start time or command line differ); not signalling" >&2
    return 1
  fi
}

stop() {
  [ -e "$dir" ] || return 0
  if [ ! -f "$dir/$marker" ] || [ -L "$dir/$marker" ]; then
    echo "engine.sh: refusing to touch $dir: it has no $marker marker, so engine.sh did not make it" >&2
    return 1
  fi
  if our_dockerd; then
    # dockerd stops its containers and containerd on SIGTERM; give it a moment, then force.
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
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
  # The containerd dockerd starts makes /opt/containerd/{bin,lib} on the host. Removed only when this
  # engine recorded it absent, and only while empty (rmdir): another engine's stays.
  if [ -f "$dir/opt-containerd-absent" ]; then
    rmdir /opt/containerd/bin /opt/containerd/lib /opt/containerd 2>/dev/null || true
  fi
  # The marker last: a deletion that fails half way leaves a directory still recognised as ours.
  find "$dir" -mindepth 1 -maxdepth 1 ! -name "$marker" -exec rm -rf -- {} + && rm -f -- "$dir/$marker" && rmdir -- "$dir"
}

start() {
  command -v dockerd >/dev/null || { echo "engine.sh: dockerd not found (apt-get install -y docker.io)" >&2; exit 2; }
  stop
  (umask 077 && mkdir -p "$(dirname "$dir")" && mkdir "$dir")
  printf 'provider=vagrant-engine\ndir=%s\ncreated=%s\n' "$dir" "$(date -u +%FT%TZ)" >"$dir/$marker"
  # A private mount: the namespace file can be bind-mounted here, and nothing propagates to the host.
  mount --bind "$dir" "$dir"
  mount --make-private "$dir"
  touch "$dir/net"
  unshare --net="$dir/net" true
  nsenter --net="$dir/net" ip link set lo up
  mkdir -p "$dir/data" "$dir/exec"
  [ -e /opt/containerd ] || : >"$dir/opt-containerd-absent"
  # overlay2 where the filesystem under $dir takes an overlay mount (a container then starts in ~0.7 s
  # instead of ~5 s: vfs copies the whole image per container); vfs where it does not (a nested engine).
  storage=${MACVLAB_ENGINE_STORAGE:-}
  if [ -z "$storage" ]; then
    mkdir -p "$dir/probe/l" "$dir/probe/u" "$dir/probe/w" "$dir/probe/m"
    storage=vfs
    if mount -t overlay macvlab-probe -o "lowerdir=$dir/probe/l,upperdir=$dir/probe/u,workdir=$dir/probe/w" "$dir/probe/m" 2>/dev/null; then
      umount "$dir/probe/m" && storage=overlay2
    fi
    rm -rf "$dir/probe"
  fi
  case "$storage" in overlay2 | vfs) ;; *) echo "engine.sh: MACVLAB_ENGINE_STORAGE=$storage: overlay2 or vfs" >&2; stop; exit 2 ;; esac
  # setsid: dockerd is not in our process group (a Ctrl-C of the caller must not half-kill it).
  nsenter --net="$dir/net" setsid dockerd --storage-driver="$storage" --data-root "$dir/data" --exec-root "$dir/exec" \
    -H "unix://$dir/docker.sock" --pidfile "$dir/dockerd.pid" --ip-forward=false --ip-masq=false --iptables=false \
    --userland-proxy=true >"$dir/dockerd.log" 2>&1 </dev/null &
  # Without job control the job is no group leader, so setsid execs in place: $! is dockerd (a start
  # time survives exec). Rewritten from dockerd's own pid file once it answers.
  identity "$!" >"$dir/dockerd.identity" || true
  for _ in $(seq 1 120); do
    if DOCKER_HOST="unix://$dir/docker.sock" timeout 5 docker info >/dev/null 2>&1; then
      identity "$(cat "$dir/dockerd.pid")" >"$dir/dockerd.identity"
      echo "DOCKER_HOST=unix://$dir/docker.sock NETNS=$dir/net STORAGE=$storage"
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
