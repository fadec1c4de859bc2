#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# For each Debian kernel with headers installed: build pcbgroup.ko against
# them (W=1 and sparse, no warning allowed), boot the kernel in a virtme-ng guest, and
# run selftests/guest_run.sh there.  Prints KTAP with "# Totals:" lines for
# run_tests to count.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
top=$PWD

kernels() {
	local h
	for h in /usr/src/linux-headers-*-amd64; do
		[ -e "$h/Makefile" ] || continue
		k=${h#/usr/src/linux-headers-}
		[ -r "/boot/vmlinuz-$k" ] && echo "$k"
	done
}

. selftests/ktap.sh

# The guest's output, without boot noise.  A guest that ran nothing at all
# (virtme-ng or the boot failed) is booted once more; one that stopped
# before its last check counts as a failure, so that suites which never ran
# cannot pass unseen.
run_guest() {
	local k=$1 attempt out
	for attempt in 1 2; do
		out=$(scripts/vng.sh "$k" "cd $top && OUT=$OUT selftests/guest_run.sh $k" 2>&1
		      echo "# vng exit status $?")
		out=$(grep -vE '^\[ *[0-9]+\.[0-9]+\]' <<<"$out")
		if grep -q '^# guest ' <<<"$out"; then
			printf '%s\n' "$out"
			grep -q "^\(not \)\?ok - $k: kernel log has no warning" <<<"$out" ||
				result "$k: the guest ran to its last check" 0
			return
		fi
		tail -20 <<<"$out" | sed "s/^/# $k: boot $attempt ran nothing: /"
	done
	result "$k: the guest boots and runs the suites" 0
}

found=0
for k in $(kernels); do
	found=1
	echo "# kernel $k"
	if errors=$(OUT=$OUT scripts/build_module.sh "$k" 2>&1); then
		result "module builds warning-free against $k" 1
	else
		result "module builds warning-free against $k" 0
		sed 's/^/#   /' <<<"$errors"
		continue
	fi
	run_guest "$k"
done
if [ $found = 0 ]; then
	echo "# no Debian kernel with headers: run scripts/deps.sh"
	result "a guest kernel is installed" 0
fi
