#!/usr/bin/env bash
# ab.sh [RUNS] - direct A/B of `rdphs probe 127.0.0.1:PORT [-p ssl|-p rdp] --until finalized` (AB_MODES also: protocols, tls) against one xrdp
# (negotiate layer, started once with tests/peers/xrdp.sh, stopped at the end) on loopback.
# Old and new run as a pair, order flipped every pair, until RUNS quiet pairs per mode are collected:
# before each pair it waits (up to 120 s) for a 1 s window with >= 90 % CPU idle, and a pair counts only if
# the machine stayed >= 50 % idle while it ran (the two probes and xrdp alone use ~30 % of the 2 cores);
# other pairs are logged and discarded. Prints min/median/p90 wall ms of each and new/old ratios.
# Per-run text reports are kept in $OUT/<mode>/<ver>-<i>.txt for the per-step comparison.
# Usage: AB_OLD=/path/old/rdphs AB_NEW=/path/new/rdphs bench/ab.sh [RUNS]   (AB_MODES, AB_PORT, AB_OUT optional)
set -euo pipefail
RUNS=${1:-40}
MAXPAIRS=${AB_MAXPAIRS:-200}
PORT=${AB_PORT:-33911}
NAME=perfab
OLD=${AB_OLD:?AB_OLD: the old rdphs binary}
NEW=${AB_NEW:?AB_NEW: the new rdphs binary}
OUT=${AB_OUT:-$(mktemp -d)}
export RDPHS_PEER_DIR=${RDPHS_PEER_DIR:-$(mktemp -d)}
cd "$(dirname "$0")/.."
trap 'bash tests/peers/xrdp.sh stop "$NAME" >/dev/null 2>&1 || true' EXIT
bash tests/peers/xrdp.sh start "$NAME" "$PORT" negotiate >&2
target=127.0.0.1:$PORT
now_ns() { date +%s%N; }
cpu() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6 }' /proc/stat; }
idle_pct() { awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" 'BEGIN { printf "%d", (c > a) ? 100 * (d - b) / (c - a) : 100 }'; }
wait_quiet() {
  local k t0 i0 t1 i1
  for ((k = 0; k < 120; k++)); do
    read -r t0 i0 < <(cpu); sleep 1; read -r t1 i1 < <(cpu)
    (($(idle_pct "$t0" "$i0" "$t1" "$i1") >= 90)) && return 0
  done
  return 0
}
stat() { tr ' ' '\n' <<< "$1" | grep . | sort -n | awk '{ a[NR] = $1 } END {
  m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; p = int(NR * 0.9 + 0.999); if (p > NR) p = NR
  printf "%.1f %.1f %.1f\n", a[1], m, a[p] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "load before: $(uptime)"
for mode in ${AB_MODES:-default ssl rdp}; do
  case $mode in
    default) args=(probe "$target" --until finalized) ;;
    ssl) args=(probe "$target" -p ssl --until finalized) ;;
    rdp) args=(probe "$target" -p rdp --until finalized) ;;
    protocols) args=(protocols "$target") ;;
    tls) args=(tls "$target") ;;
  esac
  mkdir -p "$OUT/$mode"
  wait_quiet
  # one untimed warm-up run of each
  "$OLD" "${args[@]}" >/dev/null 2>&1 || true
  "$NEW" "${args[@]}" >/dev/null 2>&1 || true
  declare -A t=([old]="" [new]="")
  fails=0 kept=0 discarded=0 pairs=0
  while ((kept < RUNS && pairs < MAXPAIRS)); do
    pairs=$((pairs + 1))
    wait_quiet
    if ((pairs % 2)); then order=(old new); else order=(new old); fi
    declare -A w=()
    read -r c0 i0 < <(cpu)
    for v in "${order[@]}"; do
      bin=$OLD; [[ $v == new ]] && bin=$NEW
      s=$(now_ns)
      "$bin" "${args[@]}" > "$OUT/$mode/$v-tmp.txt" 2>&1 || fails=$((fails + 1))
      e=$(now_ns)
      w[$v]=$(awk -v d=$((e - s)) 'BEGIN { printf "%.1f", d / 1e6 }')
      sleep 0.1
    done
    read -r c1 i1 < <(cpu)
    idle=$(idle_pct "$c0" "$i0" "$c1" "$i1")
    if ((idle >= ${AB_MINIDLE:-50})); then
      kept=$((kept + 1))
      for v in old new; do t[$v]+="${w[$v]} "; mv "$OUT/$mode/$v-tmp.txt" "$OUT/$mode/$v-$kept.txt"; done
    else
      discarded=$((discarded + 1))
      echo "  discarded pair $pairs (idle $idle %: old ${w[old]} ms, new ${w[new]} ms)"
    fi
  done
  rm -f "$OUT/$mode"/*-tmp.txt
  read -r omin omed op90 < <(stat "${t[old]}")
  read -r nmin nmed np90 < <(stat "${t[new]}")
  printf '\n== mode %s: rdphs %s, %d quiet pairs kept (%d discarded), alternating (failures: %d)\n' "$mode" "${args[*]}" "$kept" "$discarded" "$fails"
  printf '%-4s %8s %9s %8s\n' ver "min ms" "median ms" "p90 ms"
  printf '%-4s %8s %9s %8s\n' old "$omin" "$omed" "$op90"
  printf '%-4s %8s %9s %8s\n' new "$nmin" "$nmed" "$np90"
  printf 'new/old: min %s, median %s, p90 %s\n' "$(ratio "$nmin" "$omin")" "$(ratio "$nmed" "$omed")" "$(ratio "$np90" "$op90")"
  echo "old runs: ${t[old]}"
  echo "new runs: ${t[new]}"
  echo "load now: $(uptime)"
done
