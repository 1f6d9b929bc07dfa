#!/usr/bin/env bash
# test.sh - runs the whole test suite on a fresh machine: installs the real peers (xrdp, xfreerdp, Xvfb, Prometheus)
# when missing, builds everything with warnings as errors, runs the unit and integration tests (which start
# and stop their own peers on loopback ports), runs a fuzz smoke (every harness under AFL++ for
# ${RDPHS_FUZZ_SMOKE_SECS:-10} s; 0 skips it; each harness counts as one test), and ends with the line
# "N passed, N failed[, N skipped]".
# Under CI=true a missing peer fails its tests instead of skipping them.
set -uo pipefail
cd "$(dirname "$0")"

if ! bash tests/peers/install.sh; then
  echo "test.sh: real peers are missing; their tests will skip (or fail under CI=true)" >&2
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if ! dotnet build RdpHandshake.sln -c Release -nologo -clp:ErrorsOnly; then
  echo "test.sh: the build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test --solution RdpHandshake.sln -c Release --no-build 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

count() { grep -E "^[[:space:]]+$1:[[:space:]]+[0-9]+" "$log" | tail -n 1 | awk '{print $2}'; }
passed=$(count succeeded); failed=$(count failed); skipped=$(count skipped)
passed=${passed:-0}; failed=${failed:-0}; skipped=${skipped:-0}
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  failed=1 # the runner failed without counting a test failure (crash, no tests found): still a failure
fi

# Fuzz smoke: fuzz/run.sh prints one "TARGET: ... N crash(es)" line per harness.
smoke=${RDPHS_FUZZ_SMOKE_SECS:-10}
if [[ $smoke -gt 0 ]]; then
  fuzzlog=$(mktemp)
  bash fuzz/run.sh all "$smoke" 2>&1 | tee "$fuzzlog"
  fuzzstatus=${PIPESTATUS[0]}
  clean=$(grep -cE '^[a-z0-9-]+: .* 0 crash\(es\)$' "$fuzzlog")
  crashed=$(grep -cE '^[a-z0-9-]+: .* [1-9][0-9]* crash\(es\)$' "$fuzzlog")
  passed=$((passed + clean)); failed=$((failed + crashed))
  if [[ $fuzzstatus -ne 0 && $crashed -eq 0 ]]; then
    failed=$((failed + 1)); status=1 # run.sh itself failed (install, build, afl-fuzz)
  fi
  [[ $crashed -gt 0 ]] && status=1
  rm -f "$fuzzlog"
fi

line="$passed passed, $failed failed"
[[ $skipped -gt 0 ]] && line+=", $skipped skipped"
echo "$line"
[[ $status -eq 0 && $failed -eq 0 ]]
