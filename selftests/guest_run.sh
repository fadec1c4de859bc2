#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside a virtme-ng guest running kernel KVER: run the data-plane suites
# (which must pass on this kernel too), load pcbgroup.ko, run the module
# suites and the pcbgroupctl suite again (now registering with the module),
# unload; load it again in no-map mode (maps=0) for module_nomap and
# module_unload (rmmod with its files held open), then the
# build without bpf_map_get (build_module.sh's PCBG_MAPS=n), which must come
# up in that mode; check that nothing is left and the kernel log stayed clean.
#   selftests/guest_run.sh KVER
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
k=$1
ko=$OUT/kmod/$k/module/pcbgroup.ko
ko_nomap=$OUT/kmod/$k-nomap/module/pcbgroup.ko

. selftests/ktap_helpers.sh

ktap_begin
echo "# guest $(uname -r), $(nproc) CPUs"
[ "$(uname -r)" = "$k" ] || { result "guest runs $k" 0; exit 0; }
dmesg -C

run_suite() {
	echo "# $k: $(basename "$1")$2"
	PCBG_KO=$ko "$1" 2>&1 | grep -E '^(TAP|1\.\.|ok|not ok|#)' | sed 's/^/    /'
}

# The tiers of selftests/Makefile.  The dataplane's suites must pass on
# every kernel; the host's (user space alone: the daemon, attach,
# namespaces, messages, the writer lock, the fuzz tests under ASan) run on
# the host only: under TCG they would cost 10-15 minutes a kernel and test
# nothing the kernel changes.
tier() { sed -n "s/^$1://p" "$OUT/selftests/tiers"; }
for s in $(tier dataplane); do
	run_suite "$OUT/selftests/$s" ""
done

insmod "$ko"
result "$k: insmod pcbgroup.ko" $([ -d /proc/sys/net/pcbgroup ] && echo 1 || echo 0)
for s in $(tier module); do
	run_suite "$OUT/selftests/$s" " (module loaded)"
done

rmmod pcbgroup
insmod "$ko" maps=0
result "$k: insmod pcbgroup.ko maps=0" $([ -e /proc/net/pcbgroup/knobs ] && echo 1 || echo 0)
run_suite "$OUT/selftests/module_nomap" " (maps=0)"
# rmmod with nobody holding every file open, asleep on the knobs file too
run_suite "$OUT/selftests/module_unload" " (maps=0)"
rmmod pcbgroup
# the build for a kernel without bpf_map_get: no-map mode only, no import
insmod "$ko_nomap" maps=1 2>/dev/null && rmmod pcbgroup
insmod "$ko_nomap"
result "$k: the build without bpf_map_get refuses maps=1, loads in no-map mode" \
	$([ -e /proc/net/pcbgroup/knobs ] && dmesg | grep -q 'maps=1: built without' &&
	  echo 1 || echo 0)
rmmod pcbgroup
gone=1
[ -e /proc/sys/net/pcbgroup ] && gone=0
[ -e /proc/net/pcbgroup ] && gone=0
result "$k: rmmod leaves no /proc or sysctl entry" $gone
# an out-of-tree module taints the kernel: that line is expected
if dmesg | grep -v 'module verification failed' |
   grep -E 'WARNING|BUG|Oops|leak|pcbgroup.*(error|fail)'; then
	result "$k: kernel log has no warning" 0
else
	result "$k: kernel log has no warning" 1
fi
