#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: steer a running, unmodified 4-worker echo server with pcbgroupctl
# and print the per-slot table for each algorithm.  Runs in its own network
# and mount namespace (loopback, a private bpffs), so it leaves nothing behind.
#
#   loadgen --> 127.0.0.1:PORT --> [pcbg_select] --> worker 0..3 (one process)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${OUT:-build}
FLOWS=${FLOWS:-2000}
PROTO=${PROTO:-udp}

if [ "${1:-}" != --inside ]; then
	exec unshare --net --mount "$0" --inside
fi
mount --make-rprivate /
mount -t bpf bpf /sys/fs/bpf
ip link set lo up

srv_out=$(mktemp)
# -c: worker i runs on CPU i % ncpus and says so with SO_INCOMING_CPU
"$B/echo_server" -t "$PROTO" -w 4 -p 8080 -c > "$srv_out" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$srv_out"' EXIT
until grep -q '^ready' "$srv_out"; do sleep 0.1; done
echo "== echo_server pid $server: 4 workers, $PROTO port 8080, each its own SO_REUSEPORT socket"

for algo in hash-threshold modulo maglev cpu; do
	echo
	echo "== pcbgroupctl attach --pid $server --proto $PROTO; set algorithm=$algo"
	"$B/pcbgroupctl" attach --pid "$server" --proto "$PROTO"
	"$B/pcbgroupctl" set algorithm="$algo"
	echo "== loadgen: $FLOWS flows, each from its own source port; who answered:"
	"$B/loadgen" -t "$PROTO" -p 8080 -n "$FLOWS"
	echo "== pcbgroupctl show$([ $algo = cpu ] && echo ' --cpus'): what the program counted"
	if [ $algo = cpu ]; then
		"$B/pcbgroupctl" show --cpus
	else
		"$B/pcbgroupctl" show
	fi
	if [ $algo = maglev ]; then
		echo
		echo "== pcbgroupctl drain 1 0: worker 0 gets no new flow"
		"$B/pcbgroupctl" drain 1 0
		"$B/loadgen" -t "$PROTO" -p 8080 -n "$FLOWS"
		"$B/pcbgroupctl" undrain 1 0
	fi
	"$B/pcbgroupctl" detach 1
done

echo
echo "== the kernel's own pick again; echo_server's own counts, all rounds:"
kill -TERM $server
wait $server || true
sed -n '/^worker/,$p' "$srv_out"
