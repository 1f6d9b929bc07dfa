#!/usr/bin/env bash
# install.sh - installs the real peers the integration tests run against, from Debian packages, when missing:
# xrdp (server), xfreerdp (client), Xvfb (a display for xfreerdp), openssl (certificates), ss (port checks),
# tshark (captures that the TLS key log must decrypt), freerdp-shadow-cli (an NLA server), MIT Kerberos (a KDC
# with kadmin.local, and kinit: the realm of the Kerberos NLA tests, kdc.sh), faketime (a skewed clock for a process),
# dnsmasq (a DNS server on loopback answering a realm's KDC SRV records), prometheus (scrapes rdphs exporter; the
# tests run their own in the foreground, on loopback), dante-server (danted, a SOCKS5 proxy) and tinyproxy (an HTTP
# CONNECT proxy), which the proxy tests start in the foreground on loopback, tcpdump (records real peers on lo for
# rdphs analyze) and gcc (builds sslkeylog.c, which gives xfreerdp an SSLKEYLOGFILE).
# Non-interactive; needs root (CI and the development machines run as root). Prints what it installs.
set -euo pipefail

declare -A package_of=(
  [xrdp]=xrdp
  [xfreerdp]=freerdp2-x11
  [Xvfb]=xvfb
  [openssl]=openssl
  [ss]=iproute2
  [tshark]=tshark
  [freerdp-shadow-cli]=freerdp2-shadow-x11
  [krb5kdc]=krb5-kdc
  [kadmin.local]=krb5-admin-server
  [kinit]=krb5-user
  [faketime]=faketime
  [dnsmasq]=dnsmasq-base
  [prometheus]=prometheus
  [danted]=dante-server
  [tinyproxy]=tinyproxy
  [tcpdump]=tcpdump
  [gcc]=gcc
)

missing=()
for program in "${!package_of[@]}"; do
  command -v "$program" >/dev/null 2>&1 || missing+=("${package_of[$program]}")
done
# gcc without the C library's headers cannot build sslkeylog.c (apt-get leaves them out with --no-install-recommends).
[[ -f /usr/include/stdio.h ]] || missing+=(libc6-dev)

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install.sh: all real peers present (xrdp, xfreerdp, Xvfb, openssl, ss, tshark, freerdp-shadow-cli, krb5kdc, kadmin.local, kinit, faketime, dnsmasq, prometheus, danted, tinyproxy, tcpdump, gcc)"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install.sh: missing ${missing[*]} and not root: install them with apt-get, or the tests that need them will skip (and fail under CI=true)" >&2
  exit 1
fi

echo "install.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install.sh: installed ${missing[*]}"
