#!/usr/bin/env bash
# redis.sh - run a throw-away redis-server (Debian's package, 7.0.15) on loopback for the fleet's
# shared-limit tests: no persistence, state in one directory, bounded in time.
#
# Usage:  redis.sh start|stop|status [DIR]
#   start   start redis-server on a free loopback port (the port of an earlier run, if still free,
#           so a test can stop and restart it under the same URL); pid in DIR/redis.pid; writes
#           redis://127.0.0.1:PORT to $RIG_DIR/redis.url once the server answers PING
#   stop    TERM the recorded PID (KILL after a grace period); the URL file stays for a restart
#   status  print "running redis://..." or "stopped"
# DIR defaults to $RIG_DIR/redis (RIG_DIR defaults to ${TMPDIR:-/tmp}/postilion-rig).
#
# Environment knobs:
#   REDIS_MAX_SECONDS  the server is killed after this long whatever happens (default 3600)
#
# The Debian package also installs a redis-server service; this never uses it, and stops it if it
# finds it running, so that nothing outlives the rig.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/../peers/lib.sh"

cmd="${1:-}"
dir="$(rig_state_dir redis "${2:-}")"
pidfile="$dir/redis.pid"
urlfile="$RIG_DIR/redis.url"
max="${REDIS_MAX_SECONDS:-3600}"

port_free() {
    python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as redis-server binds: TIME_WAIT is no obstacle
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

# free_port: a free loopback port below the kernel's ephemeral range, so that between a stop and a
# start (a test restarts the server under the same URL) no outgoing connection can take it as its
# local port; the ephemeral range itself only if nothing below it is free.
free_port() {
    python3 - <<'PY'
import random, socket
try:
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
candidates = list(range(max(1025, low - 12000), low))
random.shuffle(candidates)
for port in candidates[:200] + [0]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    print(s.getsockname()[1])
    break
PY
}

stop_packaged_service() {
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
        systemctl stop redis-server || true
    elif command -v service >/dev/null 2>&1 && service redis-server status >/dev/null 2>&1; then
        service redis-server stop >/dev/null 2>&1 || true
    fi
}

start() {
    command -v redis-server >/dev/null || rig_die "redis-server not found (apt-get install -y redis-server)"
    stop_packaged_service
    if rig_pid_alive "$pidfile"; then
        rig_log "already running (pid $(cat "$pidfile"))"
        return 0
    fi
    local port=""
    if [ -s "$urlfile" ]; then
        port="$(sed -n 's#^redis://127\.0\.0\.1:\([0-9]*\)$#\1#p' "$urlfile")"
        if [ -n "$port" ] && ! port_free "$port"; then
            rig_log "port $port of the last run is taken; a new port, so a new URL in $urlfile"
            port=""
        fi
    fi
    [ -n "$port" ] || port="$(free_port)"
    # No RDB snapshots, no AOF: the limits are soft state, rebuilt by the nodes within one lease expiry.
    ( cd "$dir" && exec timeout -s KILL "$max" redis-server --bind 127.0.0.1 --port "$port" \
        --save "" --appendonly no --dir "$dir" --daemonize no --protected-mode yes \
        --logfile "$dir/redis.log" ) </dev/null >/dev/null 2>&1 &
    local watchdog=$!
    local i pid=""
    for ((i = 0; i < 100; i++)); do
        pid="$(pgrep -P "$watchdog" -x redis-server || true)"
        if [ -n "$pid" ] && redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
            echo "$pid" > "$pidfile"
            echo "$watchdog" > "$dir/watchdog.pid"
            echo "redis://127.0.0.1:$port" > "$urlfile"
            rig_log "redis-server pid $pid on redis://127.0.0.1:$port (killed after ${max}s at the latest)"
            return 0
        fi
        sleep 0.1
    done
    kill "$watchdog" 2>/dev/null || true
    rig_die "redis-server did not answer on 127.0.0.1:$port; see $dir/redis.log"
}

case "$cmd" in
    start) start ;;
    stop)
        rig_stop_pid "$pidfile" 10
        rig_stop_pid "$dir/watchdog.pid" 2
        ;;
    status)
        if rig_pid_alive "$pidfile"; then echo "running $(cat "$urlfile")"; else echo "stopped"; fi
        ;;
    *) rig_die "usage: redis.sh start|stop|status [DIR]" ;;
esac
