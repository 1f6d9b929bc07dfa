#!/usr/bin/env bash
# fuzz/seeds/shadow.sh - regenerate the fuzz seeds taken from FreeRDP's shadow server (fuzz/corpus/*/shadow-*).
#
#   fuzz/seeds/shadow.sh            write the seeds into fuzz/corpus
#   fuzz/seeds/shadow.sh DIR        write them into DIR/TARGET/ instead (to compare before committing)
#
# Starts Xvfb (tests/peers/xvfb.sh) and freerdp-shadow-cli with NLA on a free loopback port, with a
# throw-away account in a winpr SAM file, then runs rdphs three times against it:
#   1. probe --user --ntlm-bare to finalization (CredSSP with bare NTLM, MCS, licensing, capabilities,
#      finalization), TLS 1.3 with TLS_AES_128_GCM_SHA256 and --keylog, so the CredSSP records can be
#      decrypted: the report records them as TLS records, the later PDUs as plaintext;
#   2. probe --user with NTLM inside SPNEGO until credssp: FreeRDP 2 refuses it with an errorCode TSRequest;
#   3. ntlm-info, the CHALLENGE given without credentials (written only if it differs in layout from 1's).
# fuzz/seeds/ShadowSeeds.cs then cuts every seed into the format its harness takes, and the harness replays
# them. Needs the peers of tests/peers/install.sh (freerdp2-shadow-x11, xvfb) and openssl (MD4 through its
# legacy provider, for the SAM file's NT hash). The server's certificate, names and randoms differ
# between machines and runs, so regenerated seeds differ byte for byte; their structure does not.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${1:-$root/fuzz/corpus}
die() { echo "shadow.sh: $*" >&2; exit 1; }

"$root/tests/peers/install.sh" >&2 || die "the peers are missing (tests/peers/install.sh)"

# The account exists only in this run's SAM file: not a secret.
user=alice password=Shadow-Seed-Pw-4711
work=$(mktemp -d /tmp/rdphs-shadow-seeds.XXXXXX)
display=$((500 + RANDOM % 400)) server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill -- "-$server_pid" 2>/dev/null || true
  "$root/tests/peers/xvfb.sh" stop "$display" >/dev/null 2>&1 || true
  rm -rf -- "$work"
}
trap cleanup EXIT

# winpr's SAM file: user:domain:LM hash:NT hash::: (an empty domain matches any). NT hash = MD4(UTF-16LE password).
nt=$(printf '%s' "$password" | iconv -f utf-8 -t utf-16le | openssl dgst -md4 -provider legacy -provider default | awk '{ print $NF }')
[[ $nt =~ ^[0-9a-f]{32}$ ]] || die "could not compute the NT hash (openssl needs its legacy provider for MD4)"
echo "$user::aad3b435b51404eeaad3b435b51404ee:$nt:::" > "$work/SAM"

echo "building rdphs ..." >&2
dotnet build -c Release "$root/src/RdpHandshake.Cli" -v quiet -nologo >/dev/null || die "the build of rdphs failed"
rdphs() { dotnet "$root/src/RdpHandshake.Cli/bin/Release/net10.0/rdphs.dll" "$@"; }

free_port() {
  local port
  for ((port = 34000 + RANDOM % 2000; ; port++)); do
    ss -Hltn "sport = :$port" | grep -q . || { echo "$port"; return; }
  done
}

# The shadow server sometimes fails to open a fresh display on a loaded machine: three attempts.
port=
for attempt in 1 2 3; do
  "$root/tests/peers/xvfb.sh" start "$display" >&2
  sleep 1
  candidate=$(free_port)
  DISPLAY=:$display setsid freerdp-shadow-cli "/port:$candidate" /sec:nla "/sam-file:$work/SAM" \
    </dev/null >"$work/shadow-$attempt.log" 2>&1 &
  server_pid=$!
  for ((i = 0; i < 300; i++)); do
    if ss -Hltn "sport = :$candidate" | grep -q .; then port=$candidate; break 2; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "shadow.sh: attempt $attempt failed:" >&2; tail -n 5 "$work/shadow-$attempt.log" >&2 || true
  kill -- "-$server_pid" 2>/dev/null || true; server_pid=
  "$root/tests/peers/xvfb.sh" stop "$display" >/dev/null 2>&1 || true
  display=$((500 + RANDOM % 400))
done
[[ -n $port ]] || die "freerdp-shadow-cli did not start"
echo "freerdp-shadow-cli listening on 127.0.0.1:$port (display :$display)" >&2

tls=(--tls-versions 1.3 --tls-ciphers TLS_AES_128_GCM_SHA256)
export RDPHS_PASSWORD=$password
rdphs probe "127.0.0.1:$port" --user "$user" --ntlm-bare --json --keylog "$work/auth.keys" "${tls[@]}" >"$work/auth.json" \
  || die "the authenticated probe did not reach finalization (exit $?)"
code=0
rdphs probe "127.0.0.1:$port" --user "$user" --until credssp --json --keylog "$work/spnego.keys" "${tls[@]}" >"$work/spnego.json" || code=$?
[[ $code -eq 13 ]] || die "the SPNEGO probe ended with exit code $code, not 13 (credssp): has the server changed?"
unset RDPHS_PASSWORD
rdphs ntlm-info "127.0.0.1:$port" --json >"$work/info.json" || die "ntlm-info failed (exit $?)"

dotnet run --file "$root/fuzz/seeds/ShadowSeeds.cs" -- "$corpus" "$work/auth.json" "$work/auth.keys" "$work/spnego.json" "$work/spnego.keys" "$work/info.json"

echo "replaying the corpus through the oracles ..." >&2
dotnet build "$root/fuzz/RdpHandshake.Fuzz" -c Release -v quiet -nologo >/dev/null
dotnet "$root/fuzz/RdpHandshake.Fuzz/bin/Release/net10.0/RdpHandshake.Fuzz.dll" replay-corpus "$corpus"
