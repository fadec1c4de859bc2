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
	scripts/vng.sh "$k" "cd $top && OUT=$OUT selftests/guest_run.sh $k" 2>&1 |
		grep -vE '^\[ *[0-9]+\.[0-9]+\]' # boot noise
done
if [ $found = 0 ]; then
	echo "# no Debian kernel with headers: run scripts/deps.sh"
	result "a guest kernel is installed" 0
fi
