#!/usr/bin/env bash
# e2e.sh - times rdphs against the usual tools, in the same run, against the same real server (xrdp 0.9 on
# loopback), and prints min/median wall times, connections used and the ratios.
#
#   bench/e2e.sh [RUNS]          RUNS per tool (default 7)
#
# Environment: RDPHS=path of the rdphs binary to time (default: a Release build of src/RdpHandshake.Cli,
# made here; give the NativeAOT binary to time that one), E2E_PORT (default 33901), E2E_DISPLAY (default 91).
#
# Pairs compared (like with like; each tool's own output shows what it did):
#   probe      rdphs probe --until finalized          vs  xfreerdp +auth-only        (both reach the active state)
#   probe-tls  rdphs probe -p ssl --until finalized   vs  xfreerdp +auth-only /sec:tls
#   protocols  rdphs protocols [-c 6]                 vs  nmap --script rdp-enum-encryption
#   tls        rdphs tls (connections used, wall time; no counterpart run here)
# Connections are counted on the server side, from xrdp's "connection received" log lines.
# Needs root to install missing packages (xrdp, xfreerdp, Xvfb via tests/peers/install.sh; nmap).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-7}
PORT=${E2E_PORT:-33901}
DISP=${E2E_DISPLAY:-91}
export RDPHS_PEER_DIR=${RDPHS_PEER_DIR:-/tmp/rdphs-e2e-peers}
NAME=e2e
LOG=$RDPHS_PEER_DIR/$NAME/xrdp.log
work=$(mktemp -d)

cleanup() {
  bash tests/peers/xrdp.sh stop "$NAME" >/dev/null 2>&1 || true
  bash tests/peers/xvfb.sh stop "$DISP" >/dev/null 2>&1 || true
  rm -rf -- "$work"
}
trap cleanup EXIT

bash tests/peers/install.sh >&2 || true
if ! command -v nmap >/dev/null; then
  apt-get install -y -qq nmap >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq nmap; } >&2
fi

if [[ -z ${RDPHS:-} ]]; then
  dotnet build src/RdpHandshake.Cli -c Release -nologo -clp:ErrorsOnly >&2
  RDPHS=$PWD/src/RdpHandshake.Cli/bin/Release/net10.0/rdphs
fi

bash tests/peers/xrdp.sh start "$NAME" "$PORT" negotiate >&2
bash tests/peers/xvfb.sh start "$DISP" >&2
export DISPLAY=:$DISP

# nmap's rdp-enum-encryption runs only on port 3389 or on a port whose service is ms-wbt-server. Without -sV
# (service detection costs about 20 s here), the service name comes from the nmap-services file: a data
# directory whose nmap-services names this port makes nmap run the script on it, and nothing else changes.
mkdir -p "$work/nmap"
printf 'ms-wbt-server\t%s/tcp\t0.5\n' "$PORT" > "$work/nmap/nmap-services"

target=127.0.0.1:$PORT
declare -A cmd=(
  [rdphs-probe]="$RDPHS probe $target --until finalized"
  [xfreerdp]="xfreerdp /v:$target +auth-only /u:bench /p:bench /cert:ignore"
  [rdphs-probe-tls]="$RDPHS probe $target -p ssl --until finalized"
  [xfreerdp-tls]="xfreerdp /v:$target +auth-only /u:bench /p:bench /cert:ignore /sec:tls"
  [rdphs-protocols]="$RDPHS protocols $target"
  [rdphs-protocols-c6]="$RDPHS protocols $target -c 6"
  [nmap]="nmap -Pn -n -p $PORT --datadir $work/nmap --script rdp-enum-encryption 127.0.0.1"
  [rdphs-tls]="$RDPHS tls $target"
)
order=(rdphs-probe xfreerdp rdphs-probe-tls xfreerdp-tls rdphs-protocols rdphs-protocols-c6 nmap rdphs-tls)

connections() { grep -c "connection received" "$LOG" || true; }
now_ns() { date +%s%N; }

# One untimed run of each first: warms the page cache and shows what each tool did.
echo "== what each tool does (one untimed run each) =="
for tool in "${order[@]}"; do
  before=$(connections)
  set +e; ${cmd[$tool]} > "$work/$tool.out" 2>&1; rc=$?; set -e
  echo "-- $tool (exit $rc, $(($(connections) - before)) connection(s)): ${cmd[$tool]}"
  case $tool in
    rdphs-probe*) grep -E '^verdict' "$work/$tool.out" || tail -n 3 "$work/$tool.out" ;;
    xfreerdp*) grep -E 'exit status|ERRCONNECT' "$work/$tool.out" | tail -n 2 || true ;;
    rdphs-protocols*) grep -E '^ +[a-z_]+ +0x' "$work/$tool.out" || true ;;
    nmap) sed -n '/rdp-enum-encryption/,/^$/p' "$work/$tool.out" | head -n 12 ;;
    rdphs-tls) grep -E '^ +TLS 1\.[0-3] |^verdict' "$work/$tool.out" || true ;;
  esac
done

echo
echo "== xfreerdp's last connection states (/log-level:DEBUG) =="
for sec in "" "/sec:tls"; do
  # shellcheck disable=SC2086
  xfreerdp /v:"$target" +auth-only /u:bench /p:bench /cert:ignore $sec /log-level:DEBUG 2>&1 \
    | grep -oE 'CONNECTION_STATE_[A-Z_]+ --> CONNECTION_STATE_[A-Z_]+' | tail -n 2 | sed "s|^|xfreerdp ${sec:-(negotiate)}: |"
done

echo
echo "== where the time goes in one rdphs probe (per-step table, ms) =="
$RDPHS probe "$target" --until finalized -v 2>&1 | grep -E '^ +#|^ +[0-9]+ +[a-z]' | awk '{ printf "  %-32s at %8s  took %8s\n", $2, $3, $4 }'

echo
echo "== timing: $RUNS runs each, interleaved =="
declare -A times conns
for ((run = 1; run <= RUNS; run++)); do
  for tool in "${order[@]}"; do
    before=$(connections)
    start=$(now_ns)
    ${cmd[$tool]} > /dev/null 2>&1 || true
    end=$(now_ns)
    sleep 0.2 # let the server log the connections it accepted
    times[$tool]+="$(((end - start) / 1000000)) "
    conns[$tool]=$(($(connections) - before))
  done
done

stat() { tr ' ' '\n' <<< "$1" | grep . | sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%d %d\n", a[1], m }'; }
declare -A min median
printf '\n%-18s %9s %11s %12s   %s\n' tool "min ms" "median ms" connections "runs (ms)"
for tool in "${order[@]}"; do
  read -r min[$tool] median[$tool] < <(stat "${times[$tool]}")
  printf '%-18s %9d %11d %12d   %s\n' "$tool" "${min[$tool]}" "${median[$tool]}" "${conns[$tool]}" "${times[$tool]}"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
echo
echo "ratios (rdphs / other tool; median, min):"
printf '  probe to finalization      %s, %s   (target <= 0.30)\n' "$(ratio "${median[rdphs-probe]}" "${median[xfreerdp]}")" "$(ratio "${min[rdphs-probe]}" "${min[xfreerdp]}")"
printf '  probe to finalization, TLS %s, %s   (target <= 0.30)\n' "$(ratio "${median[rdphs-probe-tls]}" "${median[xfreerdp-tls]}")" "$(ratio "${min[rdphs-probe-tls]}" "${min[xfreerdp-tls]}")"
printf '  protocols vs nmap          %s, %s   (target <= 0.20; connections %d vs %d)\n' "$(ratio "${median[rdphs-protocols]}" "${median[nmap]}")" "$(ratio "${min[rdphs-protocols]}" "${min[nmap]}")" "${conns[rdphs-protocols]}" "${conns[nmap]}"
printf '  protocols -c 6 vs nmap     %s, %s   (xrdp listens with a backlog of 2: more concurrent connects wait for a SYN retransmission, 1 s)\n' "$(ratio "${median[rdphs-protocols-c6]}" "${median[nmap]}")" "$(ratio "${min[rdphs-protocols-c6]}" "${min[nmap]}")"
grep -E '^rdphs tls .*connections' "$work/rdphs-tls.out" | sed 's/^/  /' || true
printf '  tls enumeration            %d connections, median %d ms\n' "${conns[rdphs-tls]}" "${median[rdphs-tls]}"
