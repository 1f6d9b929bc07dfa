#!/usr/bin/env bash
# test.sh - runs the whole test suite on a fresh machine: installs the real peers (xrdp, xfreerdp, Xvfb)
# when missing, builds everything with warnings as errors, runs the unit and integration tests (which start
# and stop their own peers on loopback ports), and ends with the line "N passed, N failed[, N skipped]".
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

line="$passed passed, $failed failed"
[[ $skipped -gt 0 ]] && line+=", $skipped skipped"
echo "$line"
[[ $status -eq 0 && $failed -eq 0 ]]
