#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot the newest Debian kernel in a virtme-ng guest, load
# pcbgroup.ko, start a 4-worker echo server, adopt its sockets with
# pcbgroupctl, send load, flip knobs with sysctl and print the
# /proc/net/pcbgroup tables after each; then unload the module and show the
# steering goes on.  `scripts/demo.sh --host` runs the same steering on this
# machine without the module (knobs through pcbgroupctl set).
#
#   loadgen --> 127.0.0.1:8080 --> [pcbg_select] --> worker 0..3 (one process)
#
# Everything runs in its own network and mount namespace (loopback, a
# private bpffs), so it leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${OUT:-build}
FLOWS=${FLOWS:-2000}
PROTO=${PROTO:-udp}

say() { printf '\n== %s\n' "$*"; }

newest_kernel() {
	local k best=""
	for h in /usr/src/linux-headers-*-amd64; do
		k=${h#/usr/src/linux-headers-}
		[ -r "/boot/vmlinuz-$k" ] && best=$(printf '%s\n%s\n' "$best" "$k" | sort -V | tail -1)
	done
	echo "$best"
}

# A knob: through sysctl when the module is loaded, else pcbgroupctl set.
knob() {
	if [ -d /proc/sys/net/pcbgroup ]; then
		echo "# sysctl -w net.pcbgroup.$1=$2"
		sysctl -q -w "net.pcbgroup.$1=$2"
	else
		echo "# pcbgroupctl set $1=$2"
		"$B/pcbgroupctl" set "$1=$2"
	fi
}

tables() {
	if [ -d /proc/net/pcbgroup ]; then
		for t in "$@"; do
			echo "# cat /proc/net/pcbgroup/$t"
			cat "/proc/net/pcbgroup/$t"
		done
	else
		"$B/pcbgroupctl" show $([ "${1:-}" = cpus ] && echo --cpus)
	fi
}

load() {
	echo "# loadgen: $FLOWS flows, each from its own source port; who answered:"
	"$B/loadgen" -t "$PROTO" -p 8080 -n "$FLOWS"
}

steer() {
	mount --make-rprivate /
	mount -t bpf bpf /sys/fs/bpf
	ip link set lo up
	srv_out=$(mktemp)
	# -c: worker i runs on CPU i % ncpus and says so with SO_INCOMING_CPU
	"$B/echo_server" -t "$PROTO" -w 4 -p 8080 -c > "$srv_out" &
	server=$!
	trap 'kill $server 2>/dev/null || true; rm -f "$srv_out"' EXIT
	until grep -q '^ready' "$srv_out"; do sleep 0.1; done
	say "echo_server pid $server: 4 workers on $(nproc) CPUs, $PROTO port 8080"

	say "pcbgroupctl attach --pid $server"
	"$B/pcbgroupctl" attach --pid "$server"
	load
	tables groups sockets
	for algo in modulo maglev cpu; do
		say "algorithm $algo (the tables' counters add up over the rounds)"
		knob algorithm "$algo"
		load
		if [ "$algo" = cpu ]; then tables groups cpus; else tables groups sockets; fi
	done
	say "${PROTO}_reuseport_ext 0: the kernel picks, the fallbacks column counts it"
	knob "${PROTO}_reuseport_ext" 0
	load
	tables groups
	knob "${PROTO}_reuseport_ext" 1
	knob algorithm maglev

	say "pcbgroupctl drain 1 0: worker 0 gets no new flow"
	"$B/pcbgroupctl" drain 1 0
	load
	echo "# pcbgroupctl undrain 1 0"
	"$B/pcbgroupctl" undrain 1 0
	if [ -n "${DEMO_KO:-}" ]; then
		say "rmmod pcbgroup: the module was never on the packet path"
		rmmod pcbgroup
		load
		"$B/pcbgroupctl" show | head -3
	fi

	say "echo_server's own counts, all rounds"
	kill -TERM $server
	wait $server || true
	sed -n '/^worker/,$p' "$srv_out"
}

case "${1:-}" in
--inside)
	steer
	;;
--host)
	exec unshare --net --mount "$0" --inside
	;;
--guest)
	say "guest: $(uname -r), $(nproc) CPUs; insmod ${DEMO_KO}"
	insmod "$DEMO_KO"
	echo "# ls /proc/sys/net/pcbgroup"
	ls /proc/sys/net/pcbgroup
	unshare --net --mount "$0" --inside
	;;
"")
	k=$(newest_kernel)
	[ -n "$k" ] || { echo "demo: no Debian kernel with headers: run scripts/deps.sh" >&2; exit 1; }
	echo "== building pcbgroup.ko for $k"
	OUT=$B scripts/build_module.sh "$k"
	echo "== booting $k in a virtme-ng guest (TCG: about a minute)"
	scripts/vng.sh "$k" "cd $PWD && OUT=$B DEMO_KO=$B/kmod/$k/module/pcbgroup.ko FLOWS=$FLOWS PROTO=$PROTO scripts/demo.sh --guest" 2>&1 |
		grep -vE '^\[ *[0-9]+\.[0-9]+\]'
	;;
*)
	echo "usage: scripts/demo.sh [--host]" >&2
	exit 2
	;;
esac
