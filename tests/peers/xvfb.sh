#!/usr/bin/env bash
# xvfb.sh - run a headless X server (Xvfb) for GUI test peers such as xfreerdp.
#
#   xvfb.sh start N     start Xvfb :N (-nolisten tcp -noreset), wait (10 s) for /tmp/.X11-unix/XN
#   xvfb.sh stop  N     kill it, wait for it to exit and remove its state dir
#
# Then run clients with DISPLAY=:N. State (pid file, log) lives in
# ${RDPHS_PEER_DIR:-/tmp/rdphs-peers}/xvfb-N. 'start' is a no-op if it is already
# running; a stale /tmp/.XN-lock or socket left by a dead server is removed.
# -noreset: without it the server resets whenever its last client leaves, and a
# client that connects during the reset (the shadow server opens the display more
# than once) fails with "failed to open display", about every other time under load.
set -euo pipefail

BASE=${RDPHS_PEER_DIR:-/tmp/rdphs-peers}
WAIT_SECS=10

die() { echo "xvfb.sh: $*" >&2; exit 1; }
[[ $# -eq 2 && $1 =~ ^(start|stop)$ && $2 =~ ^[0-9]+$ ]] || die "usage: xvfb.sh start|stop DISPLAYNUM"
cmd=$1 n=$2 dir=$BASE/xvfb-$2 sock=/tmp/.X11-unix/X$2 lock=/tmp/.X$2-lock
# kill -0 is not enough: the killed server stays a zombie until init reaps it.
running() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $st != Z* ]]; }
alive() { [[ -f $dir/xvfb.pid ]] && running "$(cat "$dir/xvfb.pid")"; }

stop() {
  local pid i
  [[ -f $dir/xvfb.pid ]] || return 0
  pid=$(cat "$dir/xvfb.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do running "$pid" || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/xvfb.pid"
}

if [[ $cmd == stop ]]; then stop; rm -rf -- "$dir"; echo "Xvfb :$n stopped"; exit 0; fi

mkdir -p "$dir"
if alive && [[ -S $sock ]]; then echo "Xvfb :$n already running"; exit 0; fi
stop
if [[ -f $lock ]] && running "$(tr -d ' ' < "$lock")"; then
  die "display :$n is in use by another X server (see $lock)"
fi
rm -f "$lock" "$sock"                         # leftovers of a dead server

Xvfb ":$n" -nolisten tcp -noreset -screen 0 1280x1024x24 </dev/null >"$dir/xvfb.log" 2>&1 &
pid=$!
echo "$pid" > "$dir/xvfb.pid"
for ((i = 0; i < WAIT_SECS * 10; i++)); do
  [[ -S $sock ]] && { echo "Xvfb :$n (pid $pid) ready"; exit 0; }
  running "$pid" || break
  sleep 0.1
done
echo "xvfb.sh: Xvfb :$n did not create $sock within ${WAIT_SECS}s" >&2
tail -n 20 "$dir/xvfb.log" >&2 || true
stop
exit 1
