#!/usr/bin/env bash
# fuzz/run.sh - coverage-guided fuzzing of one decoder family with AFL++ and SharpFuzz.
#
#   fuzz/run.sh TARGET SECONDS      e.g.  fuzz/run.sh ntlm 600
#   fuzz/run.sh all SECONDS         every target in turn, SECONDS each
#   fuzz/run.sh TARGET|all --execs N   until about N executions each (afl-fuzz -E), e.g. --execs 10000000
#
# Targets: x224, tls-record, ntlm, credssp, certificate, tls-session, mcs, session, kerberos, proxy, tsgu, capture, tcp-stream (fuzz/README.md). Seeds come from
# fuzz/corpus/TARGET; AFL++'s state goes to fuzz/findings/TARGET (not committed).
# Installs what is missing: afl++ (Debian package) and the SharpFuzz instrumenter
# (dotnet tool, into fuzz/.tools). The harness is published to fuzz/out and the
# protocol core, the engine and BouncyCastle (which parses the certificates) are
# instrumented there, so AFL++ gets coverage feedback from the code under test.
#
# Prints executions, execs/s, run time and crashes per target; exits 1 if any crash
# was saved or an input hung the harness (the harness's watchdog writes such an input to
# fuzz/findings/TARGET.hangs: afl-fuzz cannot save it in persistent mode). Replay a crash with the uninstrumented build (the instrumented one only runs
# under AFL): dotnet build fuzz/RdpHandshake.Fuzz -c Release, then
# dotnet fuzz/RdpHandshake.Fuzz/bin/Release/net10.0/RdpHandshake.Fuzz.dll replay TARGET FILE.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
die() { echo "fuzz/run.sh: $*" >&2; exit 2; }
usage="usage: fuzz/run.sh TARGET|all SECONDS | fuzz/run.sh TARGET|all --execs N"
if [[ $# -eq 2 && $2 =~ ^[0-9]+$ && $2 -gt 0 ]]; then
  target=$1 limit=(-V "$2") say="for $2 s"
elif [[ $# -eq 3 && $2 == --execs && $3 =~ ^[0-9]+$ && $3 -gt 0 ]]; then
  target=$1 limit=(-E "$3") say="until $3 executions"
else die "$usage"; fi
out=$here/out tools=$here/.tools

if ! command -v afl-fuzz >/dev/null; then
  echo "fuzz/run.sh: installing afl++" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q afl++ >/dev/null || die "could not install afl++"
fi
if [[ ! -x $tools/sharpfuzz ]]; then
  echo "fuzz/run.sh: installing the SharpFuzz instrumenter into $tools" >&2
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
fi

rm -rf "$out"   # a fresh copy: the instrumenter refuses an assembly it has already rewritten
dotnet publish "$here/RdpHandshake.Fuzz/RdpHandshake.Fuzz.csproj" -c Release -o "$out" -v quiet -nologo >/dev/null
for assembly in RdpHandshake.Protocol RdpHandshake BouncyCastle.Cryptography; do
  "$tools/sharpfuzz" "$out/$assembly.dll" >/dev/null
done

mapfile -t known < <(dotnet "$out/RdpHandshake.Fuzz.dll" targets)
if [[ $target == all ]]; then targets=("${known[@]}")
elif printf '%s\n' "${known[@]}" | grep -qx -- "$target"; then targets=("$target")
else die "unknown target '$target' (known: ${known[*]})"; fi

# The machine's core_pattern and CPU governor are not ours to change; dotnet is not an
# AFL-compiled binary (SharpFuzz supplies the forkserver), hence SKIP_BIN_CHECK.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_BIN_CHECK=1 \
       AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_QUIET=1 DOTNET_TieredPGO=0

# The capture target writes each input to a file for libpcap: a scratch directory in memory where there is one.
scratch=$(mktemp -d -p /dev/shm rdphs-fuzz.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export RDPHS_FUZZ_SCRATCH=$scratch

crashed=0
for t in "${targets[@]}"; do
  [[ -d $here/corpus/$t ]] || die "no seed corpus in fuzz/corpus/$t"
  findings=$here/findings/$t hangs=$here/findings/$t.hangs
  rm -rf "$findings" "$hangs"; mkdir -p "$here/findings"
  echo "fuzzing $t $say ..."
  if ! RDPHS_FUZZ_HANGS=$hangs afl-fuzz -i "$here/corpus/$t" -o "$findings" "${limit[@]}" -t 10000 -m none \
      -- dotnet "$out/RdpHandshake.Fuzz.dll" afl "$t" >"$findings.log" 2>&1; then
    # In persistent mode the harness process is afl-fuzz's fork server: when it dies, afl-fuzz stops. The watchdog
    # ends it on an input that hangs (and keeps the input); anything else that kills it is a failure of its own.
    grep -q 'Unable to communicate with fork server' "$findings.log" \
      || { tail -n 30 "$findings.log" >&2; die "afl-fuzz failed for $t (log: $findings.log)"; }
    if [[ -z $(find "$hangs" -type f 2>/dev/null) ]]; then
      echo "$t: the harness process died with no input saved (log: $findings.log)"
      crashed=1
    fi
  fi
  stats=$findings/default/fuzzer_stats
  # No statistics when the harness died before afl-fuzz wrote any (an input of the seed corpus hung it).
  stat() { if [[ -f $stats ]]; then awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; else echo '?'; fi; }
  found() { find "$findings/default/crashes" -type f -name 'id:*'; find "$hangs" -type f 2>/dev/null || true; }
  crashes=$(found | wc -l)
  echo "$t: $(stat execs_done) executions, $(stat execs_per_sec) execs/s, $(stat run_time) s, $(stat corpus_count) paths, $crashes crash(es) or hang(s)"
  if ((crashes > 0)); then
    crashed=1
    found | head -n 5 | sed 's/^/  replay: dotnet fuzz\/RdpHandshake.Fuzz\/bin\/Release\/net10.0\/RdpHandshake.Fuzz.dll replay '"$t"' /'
  fi
done
exit $crashed
