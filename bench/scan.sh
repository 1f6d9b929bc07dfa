#!/usr/bin/env bash
# scan.sh - measure 'rdphs scan' on loopback: COUNT test servers hosted in one process (bench/ScanListeners)
# plus two real xrdp instances (security_layer negotiate and rdp, via tests/peers/xrdp.sh when xrdp is
# installed), scanned with --json-lines at the given concurrency; then the same targets repeated REPEAT times
# to show that memory does not grow with the number of targets. Prints hosts/s, wall time and peak RSS.
#
#   [UNTIL=tls] [CERT=default|ecdsa-p256] [RDPHS=/path/to/rdphs] bench/scan.sh [COUNT=500] [CONCURRENCY=64] [REPEAT=10]
#
# CERT is the test servers' certificate profile (ecdsa-p256: servers that sign fast, so the scanner is what is
# measured); RDPHS a binary to time (e.g. the NativeAOT one), else the Release build run with dotnet. Besides
# hosts/s it prints the scanner's own CPU (user + system) per target.
set -euo pipefail
COUNT=${1:-500}
CONCURRENCY=${2:-64}
REPEAT=${3:-10}
UNTIL=${UNTIL:-tls}
CERT=${CERT:-default}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/rdphs-scan-bench.XXXXXX)
XRDP_NAMES=()

cleanup() {
  [[ -n ${LISTENERS_PID:-} ]] && kill "$LISTENERS_PID" 2>/dev/null || true
  for name in "${XRDP_NAMES[@]}"; do "$ROOT/tests/peers/xrdp.sh" stop "$name" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

dotnet build -c Release "$ROOT/src/RdpHandshake.Cli" -v q -nologo >/dev/null
dotnet build -c Release "$ROOT/bench/ScanListeners" -v q -nologo >/dev/null
if [[ -n ${RDPHS:-} ]]; then RDPHS=("$RDPHS"); else RDPHS=("dotnet" "$ROOT/src/RdpHandshake.Cli/bin/Release/net10.0/rdphs.dll"); fi

# The listeners live as long as their stdin (a fifo held open here).
mkfifo "$WORK/hold"
dotnet "$ROOT/bench/ScanListeners/bin/Release/net10.0/ScanListeners.dll" "$COUNT" "$WORK/targets.txt" "$CERT" <"$WORK/hold" &
LISTENERS_PID=$!
exec 3>"$WORK/hold"
for _ in $(seq 1 300); do [[ -s $WORK/targets.txt ]] && break; sleep 0.2; done
[[ -s $WORK/targets.txt ]] || { echo "scan.sh: the listeners did not start" >&2; exit 1; }

if command -v xrdp >/dev/null && command -v openssl >/dev/null; then
  for layer in negotiate rdp; do
    name="bench-$layer-$$"
    port=$(free_port)
    "$ROOT/tests/peers/xrdp.sh" start "$name" "$port" "$layer" >/dev/null
    XRDP_NAMES+=("$name")
    echo "127.0.0.1:$port   # xrdp security_layer=$layer" >>"$WORK/targets.txt"
  done
else
  echo "scan.sh: xrdp not installed, scanning the test servers only" >&2
fi

for _ in $(seq 1 "$REPEAT"); do cat "$WORK/targets.txt"; done >"$WORK/targets-x$REPEAT.txt"

run() { # FILE LABEL
  local hosts
  hosts=$(grep -c '^[0-9]' "$1")
  /usr/bin/time -f '%e %M %U %S' -o "$WORK/time" "${RDPHS[@]}" scan -f "$1" --concurrency "$CONCURRENCY" --timeout 5 --until "$UNTIL" \
    --json-lines --no-progress >"$WORK/out.jsonl" 2>"$WORK/err.txt" || true
  read -r wall rss user sys < <(tail -n 1 "$WORK/time")  # the first line may be "Command exited with non-zero status 1"
  local lines ok
  lines=$(wc -l <"$WORK/out.jsonl")
  ok=$(grep -c '"success":true' "$WORK/out.jsonl" || true)
  printf '%-22s targets %6d  lines %6d  ok %6d  wall %7.2f s  %7.1f hosts/s  peak RSS %6.1f MiB  scanner CPU %5.2f ms/target\n' \
    "$2" "$hosts" "$lines" "$ok" "$wall" "$(echo "$hosts / $wall" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$(echo "($user + $sys) * 1000 / $hosts" | bc -l)"
}

echo "rdphs scan --concurrency $CONCURRENCY --timeout 5 --json-lines --until $UNTIL, $(nproc) cores, test servers' certificate $CERT"
run "$WORK/targets.txt" "once"
run "$WORK/targets-x$REPEAT.txt" "x$REPEAT"
echo "causes in the last run:"
grep -o '"failedPhase":"[a-z0-9]*","cause":"[a-z-]*"' "$WORK/out.jsonl" | sort | uniq -c | sed 's/^/  /'
grep -o '"target":"[^"]*".\{0,200\}"nla":"[a-z-]*"' "$WORK/out.jsonl" | grep -F -f <(grep xrdp "$WORK/targets.txt" | cut -d' ' -f1 | sed 's/^/"target":"/') | head -2 | sed 's/^/  xrdp: /' || true
