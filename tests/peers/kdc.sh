#!/usr/bin/env bash
# kdc.sh - a throw-away MIT Kerberos realm on loopback, as the KDC of the Kerberos NLA tests.
#
#   kdc.sh setup DIR PORT [REALM]     create the realm (default RDPHS.TEST) in DIR, KDC on 127.0.0.1:PORT
#   kdc.sh start DIR [OFFSET [PORT]]  run its KDC in the foreground; OFFSET skews its clock (+600s, -1h, 0);
#                                     PORT runs it on another port than setup's (a second KDC of the same realm)
#
# 'setup' writes, all in DIR (created, or emptied if it holds an earlier realm):
#   krb5.conf        client profile: realm's kdc = 127.0.0.1:PORT, default_realm, no DNS, rdns = false,
#                    dns_canonicalize_hostname = false, udp_preference_limit = 1 (clients use TCP),
#                    kdc_timesync = 0 (MIT clients report a skewed KDC instead of adopting its clock),
#                    allow_weak_crypto = true and permitted_enctypes with rc4-hmac (for the RC4 accounts)
#   kdc.conf         KDC profile: UDP and TCP on 127.0.0.1:PORT only, database and stash in DIR, log DIR/kdc.log
#   passwords        NAME PASSWORD lines (mode 0600), random per realm: alice, locked, expired, aesonly, rc4only
#   termsrv.keytab   the keys of TERMSRV/localhost and TERMSRV/127.0.0.1 (what an RDP server's keytab holds)
#   stale.keytab     TERMSRV/localhost and TERMSRV/127.0.0.1 with the right kvno but other keys: an acceptor
#                    using it cannot decrypt the tickets (MIT says KRB_AP_ERR_BAD_INTEGRITY, Windows says
#                    KRB_AP_ERR_MODIFIED)
#   env              KRB5_CONFIG=... and KRB5_KDC_PROFILE=... lines, to source
# Principals:
#   alice      a user with keys aes256-cts-hmac-sha1-96, aes128-cts-hmac-sha1-96, aes256-cts-hmac-sha384-192,
#              aes128-cts-hmac-sha256-128 and rc4-hmac; +requires_preauth
#   locked     -allow_tix: the KDC answers KDC_ERR_CLIENT_REVOKED (18)
#   expired    password expired in 2000: KDC_ERR_KEY_EXPIRED (23)
#   aesonly    one key, aes256-cts-hmac-sha1-96
#   rc4only    one key, rc4-hmac
#   TERMSRV/localhost, TERMSRV/127.0.0.1   the RDP service (random keys, in termsrv.keytab)
# Every user requires pre-authentication, as Active Directory does by default.
#
# 'start' execs krb5kdc -n (no fork), so the caller's child pid is the KDC's: stop it with kill PID. The clock
# offset goes to krb5kdc's own -T option (seconds, "intended only for testing"): a KDC started with +600s answers
# an AS-REQ whose PA-ENC-TIMESTAMP is the real time with KRB_AP_ERR_SKEW (37). faketime -f +600s does the same,
# but faketime forks, so its pid is not the KDC's and killing it orphans the KDC. With PORT, 'start' writes
# DIR/kdc-PORT.conf and the clients' DIR/krb5-PORT.conf. Readiness: the port being open, or kinit.
# The environment variable KDC_TRACE=1 adds KRB5_TRACE=DIR/kdc.trace (DIR/kdc-PORT.trace).
set -euo pipefail

die() { echo "kdc.sh: $*" >&2; exit 1; }
usage() { die "usage: kdc.sh setup DIR PORT [REALM] | kdc.sh start DIR [OFFSET [PORT]]"; }

# Users and the enctypes of their keys (key:salt lists for kadmin's -e).
AES_SHA1="aes256-cts-hmac-sha1-96:normal,aes128-cts-hmac-sha1-96:normal"
AES_SHA2="aes256-cts-hmac-sha384-192:normal,aes128-cts-hmac-sha256-128:normal"
RC4="rc4-hmac:normal"
SERVICES=(TERMSRV/localhost TERMSRV/127.0.0.1)

password() { head -c 18 /dev/urandom | base64 | tr '+/' '-_'; }
# kadmin.local exits 0 even when the query fails: its output tells.
kadmin() {
  local out
  out=$(kadmin.local -r "$realm" -q "$1" 2>&1) || die "kadmin.local -q '$1' failed: $out"
  printf '%s\n' "$out" >>"$dir/kadmin.log"
  ! grep -Eqi 'usage:|invalid|error|while|failed|unknown' <<<"$out" || die "kadmin.local -q '$1': $out"
}

setup() {
  dir=$1 port=$2 realm=${3:-RDPHS.TEST}
  [[ $port =~ ^[0-9]+$ && $port -ge 1 && $port -le 65535 ]] || die "bad port: $port"
  [[ $realm =~ ^[A-Z0-9.-]+$ ]] || die "bad realm: $realm (upper case letters, digits, dots)"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # An earlier realm in DIR is replaced; anything else in DIR is left alone.
  rm -f "$dir"/principal* "$dir"/stash "$dir"/*.keytab "$dir"/passwords "$dir"/kadmin.log "$dir"/kdc.log
  export KRB5_CONFIG=$dir/krb5.conf KRB5_KDC_PROFILE=$dir/kdc.conf

  cat >"$KRB5_CONFIG" <<CONF
[libdefaults]
    default_realm = $realm
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    kdc_timesync = 0
    allow_weak_crypto = true
    permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192 aes128-cts-hmac-sha256-128 rc4-hmac
[realms]
    $realm = {
        kdc = 127.0.0.1:$port
    }
[domain_realm]
    localhost = $realm
    127.0.0.1 = $realm
CONF
  cat >"$KRB5_KDC_PROFILE" <<CONF
[kdcdefaults]
    kdc_listen = 127.0.0.1:$port
    kdc_tcp_listen = 127.0.0.1:$port
[realms]
    $realm = {
        database_name = $dir/principal
        key_stash_file = $dir/stash
        acl_file = $dir/kadm5.acl
        kdc_listen = 127.0.0.1:$port
        kdc_tcp_listen = 127.0.0.1:$port
        master_key_type = aes256-cts-hmac-sha1-96
        supported_enctypes = ${AES_SHA1//,/ } ${AES_SHA2//,/ } $RC4
    }
[logging]
    kdc = FILE:$dir/kdc.log
CONF
  : >"$dir/kadm5.acl"
  printf 'KRB5_CONFIG=%s\nKRB5_KDC_PROFILE=%s\n' "$KRB5_CONFIG" "$KRB5_KDC_PROFILE" >"$dir/env"

  kdb5_util create -s -r "$realm" -P "$(password)" >"$dir/kadmin.log" 2>&1 || { cat "$dir/kadmin.log" >&2; die "kdb5_util create failed"; }

  local name pw
  (umask 077; : >"$dir/passwords")
  for name in alice locked expired aesonly rc4only; do
    pw=$(password)
    printf '%s %s\n' "$name" "$pw" >>"$dir/passwords"
    case $name in
      alice)   kadmin "addprinc -pw $pw +requires_preauth -e $AES_SHA1,$AES_SHA2,$RC4 alice" ;;
      locked)  kadmin "addprinc -pw $pw +requires_preauth -allow_tix locked" ;;
      expired) kadmin "addprinc -pw $pw +requires_preauth -pwexpire 2000-01-01 expired" ;;
      aesonly) kadmin "addprinc -pw $pw +requires_preauth -e aes256-cts-hmac-sha1-96:normal aesonly" ;;
      rc4only) kadmin "addprinc -pw $pw +requires_preauth -e $RC4 rc4only" ;;
    esac
  done

  local service kvno
  for service in "${SERVICES[@]}"; do
    kadmin "addprinc -randkey $service"
    kadmin "ktadd -k $dir/termsrv.keytab $service"
    # The same kvno with keys from a password the KDC never saw: a server whose keytab is out of date.
    kvno=$(klist -k "$dir/termsrv.keytab" | awk -v p="$service@$realm" '$2 == p { print $1; exit }')
    [[ -n $kvno ]] || die "no kvno for $service in termsrv.keytab"
    local enctype
    for enctype in aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192 aes128-cts-hmac-sha256-128 rc4-hmac; do
      printf 'addent -password -p %s@%s -k %s -e %s\n%s\n' "$service" "$realm" "$kvno" "$enctype" "$(password)"
    done | { cat; printf 'wkt %s\nquit\n' "$dir/stale.keytab"; } | ktutil >>"$dir/kadmin.log" 2>&1 || die "ktutil failed"
  done
  chmod 600 "$dir/termsrv.keytab" "$dir/stale.keytab"
  echo "kdc.sh: realm $realm in $dir (KDC 127.0.0.1:$port); principals alice locked expired aesonly rc4only ${SERVICES[*]}"
}

start() {
  dir=$(cd "$1" && pwd) offset=${2:-} port=${3:-}
  [[ -f $dir/kdc.conf && -f $dir/stash ]] || die "$dir holds no realm: run kdc.sh setup first"
  local realm seconds=0 setup_port
  realm=$(awk '$1 == "default_realm" { print $3; exit }' "$dir/krb5.conf")
  setup_port=$(awk -F: '$1 ~ /kdc_tcp_listen/ { print $2; exit }' "$dir/kdc.conf")
  if [[ -n $offset ]]; then
    [[ $offset =~ ^([+-]?)([0-9]+)([smhd]?)$ ]] || die "bad offset: $offset (e.g. +600s, -1h, 0)"
    local sign=${BASH_REMATCH[1]} n=${BASH_REMATCH[2]} unit=${BASH_REMATCH[3]:-s}
    case $unit in s) seconds=$n ;; m) seconds=$((n * 60)) ;; h) seconds=$((n * 3600)) ;; d) seconds=$((n * 86400)) ;; esac
    [[ $sign == - ]] && seconds=$((-seconds))
  fi
  export KRB5_CONFIG=$dir/krb5.conf KRB5_KDC_PROFILE=$dir/kdc.conf
  if [[ -n $port && $port != "$setup_port" ]]; then
    [[ $port =~ ^[0-9]+$ && $port -ge 1 && $port -le 65535 ]] || die "bad port: $port"
    # The same realm and database on another port: profiles of their own, the client's written last (when the
    # caller sees the port open, DIR/krb5-PORT.conf is complete).
    sed "s/127\.0\.0\.1:$setup_port\b/127.0.0.1:$port/g" "$dir/kdc.conf" >"$dir/kdc-$port.conf"
    sed "s/127\.0\.0\.1:$setup_port\b/127.0.0.1:$port/g" "$dir/krb5.conf" >"$dir/krb5-$port.conf.new"
    mv "$dir/krb5-$port.conf.new" "$dir/krb5-$port.conf"
    export KRB5_CONFIG=$dir/krb5-$port.conf KRB5_KDC_PROFILE=$dir/kdc-$port.conf
  fi
  [[ ${KDC_TRACE:-} == 1 ]] && export KRB5_TRACE=$dir/kdc${port:+-$port}.trace
  args=(-n -r "$realm")
  [[ $seconds -ne 0 ]] && args+=(-T "$seconds")
  exec krb5kdc "${args[@]}"
}

case ${1:-} in
  setup) [[ $# -ge 3 && $# -le 4 ]] || usage; shift; setup "$@" ;;
  start) [[ $# -ge 2 && $# -le 4 ]] || usage; shift; start "$@" ;;
  *)     usage ;;
esac
