#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build pcbgroup.ko for Debian kernel KVER in $OUT/kmod/KVER/ (a copy of the
# sources, so that several kernels' builds live side by side), with W=1 and
# sparse (C=1).  Exit 1, with the complaints, on any error or warning.
#   scripts/build_module.sh KVER
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
k=$1
kdir=/usr/src/linux-headers-$k
mdir=$PWD/$OUT/kmod/$k
[ -e "$kdir/Makefile" ] || { echo "build_module: no headers in $kdir" >&2; exit 1; }
rm -rf "$mdir"
mkdir -p "$mdir"
cp -r Kbuild module include "$mdir/"
command -v sparse > /dev/null || { echo "build_module: sparse missing (scripts/deps.sh)" >&2; exit 1; }
if make -C "$kdir" M="$mdir" W=1 C=1 CHECK=sparse modules > "$mdir/build.log" 2>&1 &&
   grep -q ' CHECK ' "$mdir/build.log" &&
   ! grep -qiE 'warning:|error:' "$mdir/build.log"; then
	exit 0
fi
grep -iE 'warning|error' "$mdir/build.log" | head -20 >&2
exit 1
