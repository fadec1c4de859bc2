#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# For each kernel of the matrix (scripts/kernels.sh): build pcbgroup.ko
# against its headers (W=1 and sparse, no warning allowed), and the build
# without bpf_map_get (PCBG_MAPS=n, for the no-map mode), boot it in a
# virtme-ng guest (scripts/vng.sh: bounded, one more boot when the first
# did not start), and run selftests/guest_run.sh there.  A kernel of the
# matrix that is not installed is a failure.  Prints KTAP with "# Totals:"
# lines for run_tests to count; each guest's console is kept in
# $OUT/logs/console-KVER.log.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
top=$PWD
mkdir -p "$OUT/logs"

. selftests/ktap_helpers.sh
. scripts/kernels.sh
ktap_begin

# The guest's output.  vng.sh boots once more a guest that did not start
# and prints the console's last lines of one that did not start or finish;
# a guest that stopped before its last check counts as a failure, so that
# suites which never ran cannot pass unseen.
run_guest() {
	local k=$1 out status
	out=$(VNG_CONSOLE=$OUT/logs/console-$k.log \
	      scripts/vng.sh "$k" "cd $top && OUT=$OUT selftests/guest_run.sh $k" 2>&1)
	status=$?
	# kernel lines, should a console reach stdout
	out=$(grep -vE '^\[ *[0-9]+\.[0-9]+\]' <<<"$out")
	if ! grep -q '^# guest ' <<<"$out"; then
		sed "s/^/# $k: /" <<<"$out" | tail -40
		result "$k: the guest boots and runs the suites" 0
		return
	fi
	# the guest's KTAP as a subtest; vng.sh's words and console lines as comments
	sed -E '/^(TAP|1\.\.|ok|not ok|#| )/!s/^/# /; s/^/    /' <<<"$out"
	if ! grep -q "^\(not \)\?ok [0-9]* $k: kernel log has no warning" <<<"$out"; then
		echo "# $k: the guest stopped early (vng.sh status $status)"
		result "$k: the guest ran to its last check" 0
	fi
}

while read -r series suite where; do
	[ -n "$series" ] || continue
	k=$(pcbg_kver "$series" "$where")
	if [ -z "$k" ]; then
		echo "# kernel $series ($suite) is not installed: run scripts/deps.sh"
		result "kernel $series ($suite) is installed" 0
		continue
	fi
	echo "# kernel $k ($suite)"
	if errors=$(OUT=$OUT scripts/build_module.sh "$k" 2>&1); then
		result "module builds warning-free against $k" 1
	else
		result "module builds warning-free against $k" 0
		sed 's/^/#   /' <<<"$errors"
		continue
	fi
	if errors=$(PCBG_MAPS=n OUT=$OUT scripts/build_module.sh "$k" 2>&1); then
		result "module without bpf_map_get builds warning-free against $k" 1
	else
		result "module without bpf_map_get builds warning-free against $k" 0
		sed 's/^/#   /' <<<"$errors"
	fi
	run_guest "$k"
done <<<"$PCBG_KERNELS"
