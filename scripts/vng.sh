#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the Debian kernel KVER in a virtme-ng guest and run a command in it:
#   scripts/vng.sh KVER COMMAND...
# The guest sees the host's files read-only, as root, with 4 vCPUs. No KVM
# here for ordinary guests: TCG, 30-90 s to boot.  The kernel comes from
# /boot, or from the trixie root for the kernels deps.sh installs there.
#
# Every boot is bounded.  A guest that has not started COMMAND after
# VNG_BOOT_TIMEOUT seconds (default 300) is stopped and booted once more;
# the whole run stops after VNG_TIMEOUT seconds (default 2700, CI's budget:
# on 2 CPUs shared with other TCG guests, 6.1's suites took 29 minutes).
# The serial console (kernel log) and the guest's stderr go to the file
# VNG_CONSOLE (default: a temporary one); when a guest did not start
# COMMAND or did not finish it, its last console lines are printed on stderr.
# Exit status: COMMAND's; 124 when the guest did not start or finish in time.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/kernels.sh
kver=$1
shift
cmd=$*
root=$(pcbg_root_of_kver "$kver")
img=/boot/vmlinuz-$kver
[ -n "$root" ] && img=$root/usr/lib/modules/$kver/vmlinuz
[ -r "$img" ] || { echo "vng.sh: no kernel image $img" >&2; exit 1; }
command -v vng >/dev/null || { echo "vng.sh: vng missing: run scripts/deps.sh" >&2; exit 1; }
boot_timeout=${VNG_BOOT_TIMEOUT:-300}
run_timeout=${VNG_TIMEOUT:-2700}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
console=${VNG_CONSOLE:-$tmp/console}
: > "$console"
# The guest's first words, on its stderr: the kernel booted and the command
# starts.  Spelt differently in the command, which vng --verbose echoes.
marker="vng.sh: guest up"
say_marker="printf 'vng.sh: guest %s\\n' up >&2"

console_tail() {
	echo "vng.sh: $kver: $1; its last console lines ($console):" >&2
	tail -n "${VNG_CONSOLE_LINES:-25}" "$console" | sed 's/^/  | /' >&2
}

# One boot; its status in $status, whether the command started in $started.
boot() {
	local pid cat_pid out_pid waited=0
	echo "=== vng.sh: $kver, boot $1, $(date -u '+%F %T') UTC" >> "$console"
	# qemu reopens its stdout and stderr by name, truncating, for each of
	# its writers: pipes keep them from overwriting each other in a file.
	rm -f "$tmp/out" "$tmp/err"
	mkfifo "$tmp/out" "$tmp/err"
	cat "$tmp/err" >> "$console" &
	cat_pid=$!
	cat "$tmp/out" &
	out_pid=$!
	# timeout makes its own process group and signals all of it (vng,
	# virtme-run, qemu).  vng wants a terminal only when it is given one.
	(cd / && exec timeout -k 10 "$run_timeout" vng --run "$img" --disable-kvm --verbose \
		--cpus "${VNG_CPUS:-4}" --memory "${VNG_MEMORY:-2G}" \
		--exec "$say_marker; $cmd") < /dev/null > "$tmp/out" 2> "$tmp/err" &
	pid=$!
	started=0
	while kill -0 "$pid" 2> /dev/null; do
		if [ $started = 0 ] && grep -q "$marker" "$console"; then
			started=1
		elif [ $started = 0 ] && [ $waited -ge "$boot_timeout" ]; then
			kill -TERM "$pid"
			break
		fi
		sleep 2
		waited=$((waited + 2))
	done
	wait "$pid"
	status=$?
	wait "$cat_pid" "$out_pid"
	grep -q "$marker" "$console" && started=1
}

for attempt in 1 2; do
	boot $attempt
	if [ $started = 1 ]; then
		[ $status = 124 ] && console_tail "the guest did not finish within $run_timeout s"
		exit $status
	fi
	console_tail "boot $attempt did not start the command (vng status $status, ${boot_timeout} s allowed)"
done
exit 124
