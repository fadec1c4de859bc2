#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build pcbgroup.ko for Debian kernel KVER in $OUT/kmod/KVER/ (a copy of the
# sources, so that several kernels' builds live side by side), with W=1 and
# sparse (C=1), and module BTF where the headers have a vmlinux.  A kernel
# whose headers are in the trixie root (scripts/kernels.sh) is built there,
# with its gcc 14 and sparse 0.6.5, the copy bind-mounted into it.  Exit 1,
# with the complaints, on any error or warning, or when sparse did not check
# every file.  PCBG_MAPS=n builds, in $OUT/kmod/KVER-nomap/, the module as
# Kbuild builds it for a kernel that does not export bpf_map_get: no-map
# mode only.
#   [PCBG_MAPS=n] scripts/build_module.sh KVER
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/kernels.sh
OUT=${OUT:-build}
k=${1:?usage: build_module.sh KVER}
root=$(pcbg_root_of_kver "$k")
kdir=/usr/src/linux-headers-$k
maps=${PCBG_MAPS:-}
mdir=$PWD/$OUT/kmod/$k${maps:+-nomap}
[ -e "$root$kdir/Makefile" ] || { echo "build_module: no headers in $kdir" >&2; exit 1; }
rm -rf "$mdir"
mkdir -p "$mdir"
cp -r Kbuild module include "$mdir/"
log=$mdir/build.log

if [ -z "$root" ]; then
	command -v sparse > /dev/null ||
		{ echo "build_module: sparse missing (scripts/deps.sh)" >&2; exit 1; }
	make -C "$kdir" M="$mdir" W=1 C=1 CHECK=sparse PCBG_MAPS="$maps" \
		PCBG_VERSION="${PCBG_VERSION:-}" modules > "$log" 2>&1
else
	# The kernel's kbuild tools need the root's glibc: build in the root,
	# in a private mount namespace that goes away with the build.
	unshare --mount --propagation private -- sh -ec \
		'r=$1 m=$2 kdir=$3 maps=$4 ver=$5
		 mount --rbind /dev "$r/dev"
		 mount -t proc proc "$r/proc"
		 mount --bind "$m" "$r/mnt"
		 exec chroot "$r" env -i HOME=/root LANG=C.UTF-8 \
			PATH=/usr/local/bin:/usr/bin:/bin \
			make -C "$kdir" M=/mnt W=1 C=1 CHECK=sparse PCBG_MAPS="$maps" \
			PCBG_VERSION="$ver" modules' \
		build_module "$root" "$mdir" "$kdir" "$maps" "${PCBG_VERSION:-}" > "$log" 2>&1
fi
status=$?

complaints=$(grep -iE 'warning|error|not available or not up to date' "$log")
# sparse must have read every file: kbuild drops C=1 with a mere message
# when it finds the checker too old.
checked=$(grep -c '^ *CHECK ' "$log")
compiled=$(grep -E '^ *CC \[M\] +(.*/)?module/[^/]+\.o$' "$log" | grep -vc '\.mod\.o$')
[ "$checked" -eq "$compiled" ] ||
	complaints+=$'\n'"sparse checked $checked of the $compiled files compiled"
if [ -e "$root$kdir/vmlinux" ] && ! grep -q '^ *BTF \[M\] .*pcbgroup.ko' "$log"; then
	complaints+=$'\n'"no module BTF although $kdir/vmlinux exists"
fi
if [ $status -eq 0 ] && [ -z "${complaints//$'\n'/}" ]; then
	exit 0
fi
[ $status -eq 0 ] || echo "build_module: make exited with status $status (log: $log)" >&2
head -20 <<<"$complaints" >&2
exit 1
