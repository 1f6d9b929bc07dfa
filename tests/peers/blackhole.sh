#!/usr/bin/env bash
# blackhole.sh - a network namespace behind a path MTU black hole, for the transport diagnoses.
#
#   blackhole.sh start N     namespace rdphs-bh-N, veth rbhN (here, 10.98.N.1) <-> rbhNp (there, 10.98.N.2)
#   blackhole.sh fix N       remove the black hole (what lowering the MTU does)
#   blackhole.sh stop N      delete the namespace and the veth pair
#
# The black hole: our side of the link has MTU 1200, but the route to the namespace advertises an MSS of
# 1460, so the far side sends full 1500-byte segments that the veth drops silently (a device drop sends no
# ICMP 'fragmentation needed'). Small packets (the X.224 exchange) pass; the TLS certificate flight does
# not - what a VPN with a lower MTU and filtered ICMP does. 'fix' lets the MSS follow the MTU (1160).
# Run servers inside with: ip netns exec rdphs-bh-N COMMAND. Needs root and iproute2. N: 1..250.
set -euo pipefail

die() { echo "blackhole.sh: $*" >&2; exit 1; }
[[ $# -eq 2 && $1 =~ ^(start|fix|stop)$ && $2 =~ ^[0-9]+$ && $2 -ge 1 && $2 -le 250 ]] || die "usage: blackhole.sh start|fix|stop N (1..250)"
cmd=$1 n=$2 ns=rdphs-bh-$2 here=rbh$2 there=rbh$2p net=10.98.$2

case $cmd in
  start)
    ip netns del "$ns" 2>/dev/null || true
    ip link del "$here" 2>/dev/null || true
    ip netns add "$ns"
    ip link add "$here" type veth peer name "$there"
    ip link set "$there" netns "$ns"
    ip addr add "$net.1/24" dev "$here"
    ip link set "$here" mtu 1200 up
    ip netns exec "$ns" ip addr add "$net.2/24" dev "$there"
    ip netns exec "$ns" ip link set "$there" up
    ip netns exec "$ns" ip link set lo up
    ip route replace "$net.0/24" dev "$here" advmss 1460
    echo "black hole $n: $net.2 in namespace $ns"
    ;;
  fix)
    ip route replace "$net.0/24" dev "$here"
    ;;
  stop)
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    ip link del "$here" 2>/dev/null || true
    ;;
esac
