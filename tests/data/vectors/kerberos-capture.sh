#!/usr/bin/env bash
# Re-records the exchange behind tests/data/vectors/kerberos-*.hex with MIT Kerberos on loopback only.
# Needs root (tcpdump) and the Debian packages krb5-kdc krb5-admin-server krb5-user krb5-gss-samples tcpdump tshark.
# Writes OUT/exchange.pcap (kinit, kvno, gss-client/gss-server) and OUT/errors.pcap (unknown principal, wrong
# password, a keytab with the wrong service key). Times, nonces, keys and ciphertexts differ on every run, so the
# committed vectors (and the values the tests check) are those of one recorded run, not of a re-run.
# The KDC messages are the TCP payloads without their 4-byte length prefix (RFC 4120 7.2.2); the GSS tokens are cut
# from the sample programs' framing (a flags byte and a 4-byte big-endian length before each token).
set -euo pipefail
out=${1:-$(mktemp -d)}
mkdir -p "$out"
port=28088 gssport=28089
export KRB5_CONFIG=$out/krb5.conf KRB5_KDC_PROFILE=$out/kdc.conf KRB5CCNAME=FILE:$out/ccache
cat >"$KRB5_CONFIG" <<CONF
[libdefaults]
    default_realm = RDPHS.TEST
    udp_preference_limit = 1
    dns_lookup_kdc = false
    rdns = false
[realms]
    RDPHS.TEST = {
        kdc = 127.0.0.1:$port
    }
[domain_realm]
    localhost = RDPHS.TEST
CONF
cat >"$KRB5_KDC_PROFILE" <<CONF
[kdcdefaults]
    kdc_ports = $port
    kdc_tcp_ports = $port
[realms]
    RDPHS.TEST = {
        database_name = $out/principal
        key_stash_file = $out/stash
        acl_file = $out/kadm5.acl
        kdc_listen = 127.0.0.1:$port
        kdc_tcp_listen = 127.0.0.1:$port
    }
[logging]
    kdc = FILE:$out/kdc.log
CONF
touch "$out/kadm5.acl"
kdb5_util create -s -r RDPHS.TEST -P somepass >/dev/null
kadmin.local -r RDPHS.TEST -q "addprinc -pw Test-Password-1 +requires_preauth alice" >/dev/null
kadmin.local -r RDPHS.TEST -q "addprinc -randkey TERMSRV/localhost" >/dev/null
kadmin.local -r RDPHS.TEST -q "ktadd -k $out/termsrv.keytab TERMSRV/localhost" >/dev/null
printf 'addent -password -p TERMSRV/localhost@RDPHS.TEST -k 2 -e aes256-cts-hmac-sha1-96\nWrong-Key-1\nwkt %s\nquit\n' "$out/wrong.keytab" | ktutil >/dev/null

krb5kdc -n -r RDPHS.TEST & kdc=$!
trap 'kill $kdc 2>/dev/null || true' EXIT
sleep 1

record() { # FILE COMMANDS...
  local file=$1; shift
  tcpdump -i lo -U -w "$file" "port $port or port $gssport" 2>/dev/null & local dump=$!
  sleep 1.5
  "$@" || true
  sleep 1; kill $dump; wait $dump 2>/dev/null || true
}
good() {
  KRB5_KTNAME=$out/termsrv.keytab gss-server -port $gssport -once TERMSRV@localhost >/dev/null & sleep 1
  echo Test-Password-1 | kinit alice@RDPHS.TEST
  kvno TERMSRV/localhost
  gss-client -port $gssport -mech "{1 2 840 113554 1 2 2}" localhost TERMSRV@localhost hello >/dev/null
}
bad() {
  KRB5_KTNAME=$out/wrong.keytab gss-server -port $gssport -once TERMSRV@localhost >/dev/null & sleep 1
  echo nothing | KRB5CCNAME=FILE:$out/ccache2 kinit bob@RDPHS.TEST || true
  echo Wrong-Password | KRB5CCNAME=FILE:$out/ccache2 kinit alice@RDPHS.TEST || true
  gss-client -port $gssport -mech "{1 2 840 113554 1 2 2}" localhost TERMSRV@localhost hello >/dev/null || true
}
record "$out/exchange.pcap" good
record "$out/errors.pcap" bad
# One line per TCP segment with payload: stream, source port, payload hex; concatenate per stream and direction.
for capture in exchange errors; do
  tshark -r "$out/$capture.pcap" -Y 'tcp.len>0' -T fields -e tcp.stream -e tcp.srcport -e tcp.payload >"$out/$capture.tsv"
done
echo "captures in $out"
