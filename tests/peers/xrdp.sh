#!/usr/bin/env bash
# xrdp.sh - run a throw-away, headless xrdp 0.9 instance as a test peer.
#
#   xrdp.sh start NAME PORT SECURITY_LAYER [CRYPT_LEVEL]
#   xrdp.sh stop  NAME
#
# SECURITY_LAYER: negotiate | tls | rdp     CRYPT_LEVEL: none|low|medium|high|fips
#
# XRDP_GLOBALS (optional): more [Globals] settings, one KEY=VALUE per line, applied last, e.g.
#   XRDP_GLOBALS=$'ssl_protocols=TLSv1.2\ncertificate=/tmp/c.pem\nkey_file=/tmp/k.pem'
#
# 'start' copies /etc/xrdp/xrdp.ini into a per-instance state dir
# (${RDPHS_PEER_DIR:-/tmp/rdphs-peers}/NAME), binds it to 127.0.0.1:PORT, points
# certificate=/key_file= at a self-signed RSA 2048 pair generated there, logs to
# STATE/xrdp.log, runs `xrdp --nodaemon` in its own process group and waits (10 s)
# until the port accepts connections. Re-running 'start' with the same settings is
# a no-op; with different settings the instance is restarted. 'stop' kills the
# process group (xrdp forks one child per connection), waits for it to exit and
# removes the state dir.
#
# Pid file: xrdp 0.9 has a compiled-in /var/run/xrdp/xrdp.pid. With --nodaemon it
# does not write it, so several instances can coexist, but it still refuses to
# start ("It looks like xrdp is already running", exit 1) if the file exists.
# A stale file (dead pid) is therefore removed; a live system xrdp is an error.
set -euo pipefail

BASE=${RDPHS_PEER_DIR:-/tmp/rdphs-peers}
SYS_PIDFILE=/var/run/xrdp/xrdp.pid
WAIT_SECS=10

die() { echo "xrdp.sh: $*" >&2; exit 1; }
usage() { die "usage: xrdp.sh start NAME PORT negotiate|tls|rdp [CRYPT_LEVEL] | xrdp.sh stop NAME"; }
# kill -0 is not enough: a killed process stays a zombie until init reaps it.
running() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $st != Z* ]]; }
group_running() { ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'; }
alive() { [[ -f $1/xrdp.pid ]] && running "$(cat "$1/xrdp.pid")"; }
# Prefer ss (no connection, so no "CR-TPDU failed" noise in xrdp.log); fall back to connecting.
port_open() {
  if command -v ss >/dev/null; then ss -Hltn "sport = :$1" | grep -q .
  else (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; fi
}

stop_instance() {
  local dir=$1 pid i
  [[ -f $dir/xrdp.pid ]] || return 0
  pid=$(cat "$dir/xrdp.pid")
  # TERM the whole process group; per-connection children ignore TERM while a
  # client is still connected, so they get KILL after 2 s.
  kill -TERM -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do
    group_running "$pid" || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$dir/xrdp.pid"
}

# Rewrite KEY=VALUE pairs ("Section.key" => value) inside their ini section;
# keys missing from the section are appended at its end.
write_ini() {
  awk -v kv="$1" '
    BEGIN { n = split(kv, a, "\n"); for (i = 1; i <= n; i++) if (a[i] != "") {
              p = index(a[i], "="); want[substr(a[i], 1, p - 1)] = substr(a[i], p + 1) } }
    function flush(   k) { for (k in want) if (index(k, sec ".") == 1 && !(k in done)) {
                             print substr(k, length(sec) + 2) "=" want[k]; done[k] = 1 } }
    /^\[.*\]/ { flush(); sec = substr($0, 2, length($0) - 2); print; next }
    { p = index($0, "="); k = sec "." substr($0, 1, p - 1)
      if (p > 1 && (k in want)) { print substr(k, length(sec) + 2) "=" want[k]; done[k] = 1; next } }
    { print }
    END { flush() }' /etc/xrdp/xrdp.ini
}

start_instance() {
  local name=$1 port=$2 layer=$3 crypt=${4:-} dir=$BASE/$1 kv pid i
  [[ $port =~ ^[0-9]+$ && $port -ge 1 && $port -le 65535 ]] || die "bad port: $port"
  [[ $layer =~ ^(negotiate|tls|rdp)$ ]] || die "bad security layer: $layer"
  mkdir -p "$dir" /run/xrdp

  if [[ ! -s $dir/cert.pem || ! -s $dir/key.pem ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=rdphs-$name" \
      -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null || die "openssl failed"
  fi

  kv="Globals.port=tcp://127.0.0.1:$port
Globals.security_layer=$layer
Globals.certificate=$dir/cert.pem
Globals.key_file=$dir/key.pem
Logging.LogFile=$dir/xrdp.log
Logging.EnableSyslog=false"
  [[ -n $crypt ]] && kv+=$'\n'"Globals.crypt_level=$crypt"
  local extra
  while IFS= read -r extra; do
    [[ -n $extra ]] && kv+=$'\n'"Globals.$extra"
  done <<< "${XRDP_GLOBALS:-}"
  write_ini "$kv" > "$dir/xrdp.ini.new"

  if alive "$dir" && cmp -s "$dir/xrdp.ini.new" "$dir/xrdp.ini" && port_open "$port"; then
    rm -f "$dir/xrdp.ini.new"; echo "xrdp '$name' already running on 127.0.0.1:$port"; return 0
  fi
  stop_instance "$dir"
  mv "$dir/xrdp.ini.new" "$dir/xrdp.ini"

  if [[ -f $SYS_PIDFILE ]]; then
    if running "$(cat "$SYS_PIDFILE")"; then
      die "a system xrdp is running ($SYS_PIDFILE); stop it first"
    fi
    rm -f "$SYS_PIDFILE"
  fi
  port_open "$port" && die "127.0.0.1:$port is already in use"

  : > "$dir/xrdp.log"
  # setsid: own process group (non-interactive bash => setsid execs in place, $! is xrdp)
  setsid xrdp --nodaemon -c "$dir/xrdp.ini" </dev/null >"$dir/xrdp.out" 2>&1 &
  pid=$!
  echo "$pid" > "$dir/xrdp.pid"

  for ((i = 0; i < WAIT_SECS * 10; i++)); do
    port_open "$port" && { echo "xrdp '$name' (pid $pid) listening on 127.0.0.1:$port ($layer${crypt:+, crypt_level=$crypt})"; return 0; }
    running "$pid" || break
    sleep 0.1
  done
  echo "xrdp.sh: xrdp '$name' did not accept connections on 127.0.0.1:$port within ${WAIT_SECS}s" >&2
  tail -n 20 "$dir/xrdp.log" "$dir/xrdp.out" >&2 || true
  stop_instance "$dir"
  exit 1
}

# NAME becomes a directory under $BASE (and is removed by 'stop'): no slashes or dots.
[[ ${2:-} =~ ^[A-Za-z0-9_-]+$ ]] || usage

case ${1:-} in
  start) [[ $# -ge 4 && $# -le 5 ]] || usage; shift; start_instance "$@" ;;
  stop)  [[ $# -eq 2 ]] || usage; stop_instance "$BASE/$2"; rm -rf -- "${BASE:?}/$2"; echo "xrdp '$2' stopped" ;;
  *)     usage ;;
esac
