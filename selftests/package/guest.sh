#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside a virtme-ng guest running kernel KVER, with ROOT the Debian root
# where selftests/package.sh installed the .debs (DKMS built the module
# there; the guest sees ROOT read-only):
#   selftests/package/guest.sh ROOT KVER
# loads the module from ROOT with modprobe, checks it came from
# /lib/modules/KVER/updates/dkms and that ROOT's /etc/sysctl.d/pcbgroup.conf
# was applied by the modprobe.d hook, then runs the demo's steering part from
# ROOT's installed paths (/usr/sbin/pcbgroupctl, libpcbgroup.so.0).
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$1
k=$2
. selftests/ktap_helpers.sh
ktap_begin

echo "# package guest $(uname -r), root $root"
[ "$(uname -r)" = "$k" ] || { result "$k: guest runs $k" 0; exit 0; }
# ROOT becomes a mount point, so that unshare --mount inside the chroot can
# make "/" private (the demo does).
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount -t tmpfs tmpfs "$root/tmp"
mount -t tmpfs tmpfs "$root/run"
dmesg -C
in_root() { chroot "$root" "$@"; }

absent=1
[ -e /proc/sys/net/pcbgroup ] && absent=0
in_root modprobe pcbgroup 2>&1
result "$k: modprobe pcbgroup (installed by the .deb, built by DKMS)" \
	$([ -d /proc/sys/net/pcbgroup ] && [ $absent = 1 ] && echo 1 || echo 0)
path=$(in_root modinfo -n pcbgroup 2>&1)
echo "# modinfo -n pcbgroup: $path"
# pcbgroup.ko.xz where the kernel compresses its modules (6.12)
result "$k: the module is /lib/modules/$k/updates/dkms/pcbgroup.ko" \
	$([[ $path =~ ^"/lib/modules/$k/updates/dkms/pcbgroup.ko"(\.xz|\.zst|\.gz)?$ ]] && echo 1 || echo 0)
algo=$(cat /proc/sys/net/pcbgroup/algorithm 2>&1)
bits=$(cat /proc/sys/net/pcbgroup/cpu_bits 2>&1)
echo "# after modprobe: algorithm $algo, cpu_bits $bits"
result "$k: /etc/sysctl.d/pcbgroup.conf is applied when modprobe returns" \
	$([ "$algo" = maglev ] && [ "$bits" = 0 ] && echo 1 || echo 0)

# The demo's steering part, from the installed paths, in its own netns.
out=$(in_root env OUT=/usr/local/lib/pcbgroup-test FLOWS=400 \
	/usr/local/lib/pcbgroup-test/scripts/demo.sh --host 2>&1)
rc=$?
flows=$(grep -c '^flows 400 answered 400 lost 0$' <<<"$out")
drained=$(sed -n '/^== pcbgroupctl drain 1 0/,/^# pcbgroupctl undrain/p' <<<"$out" |
	  grep -c '^0 0$')
# all of it when it fails, else its start
echo "# demo.sh: exit status $rc, $flows of 6 rounds without loss, drained $drained"
sed 's/^/#   /' <<<"$out" | { [ $rc = 0 ] && [ "$flows" = 6 ] && [ "$drained" = 1 ] && head -60 || cat; }
result "$k: installed pcbgroupctl steers the demo server (6 rounds, no loss, drain)" \
	$([ $rc = 0 ] && [ "$flows" = 6 ] && [ "$drained" = 1 ] && echo 1 || echo 0)

in_root rmmod pcbgroup
result "$k: rmmod pcbgroup" $([ -e /proc/sys/net/pcbgroup ] && echo 0 || echo 1)
if dmesg | grep -v 'module verification failed' | grep -E 'WARNING|BUG|Oops|pcbgroup.*(error|fail)'; then
	result "$k: kernel log has no warning (package)" 0
else
	result "$k: kernel log has no warning (package)" 1
fi
