#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A fresh Debian 12 root to install the pcbgroup packages in:
#   selftests/pkgroot.sh mount DIR KVER...    an overlay on the base at DIR
#   selftests/pkgroot.sh umount DIR           drop it and everything written
# The base is kept between runs in $PCBG_CACHE/bookworm (default
# /var/cache/pcbgroup, outside the repository): debootstrap's minbase (the
# tarball scripts/deps.sh keeps there, for the containers' image) plus
# what the packages need from the archive (dkms, libbpf, systemd for
# systemd-sysctl, iproute2) and the Debian headers of each KVER.  It is made
# once (a few minutes) and given a missing kernel's headers when asked; DIR
# is an overlay on it (instant; the writes go to DIR.rw), which virtme-ng
# guests see too.  The headers' .debs stay in the apt cache, so DIR can
# install them again offline (a kernel upgrade, in selftests/package.sh).
# A kernel whose headers the archive lacks is reported on stderr
# ("pkgroot: linux-headers-KVER: not installable") and left out.
set -euo pipefail
cmd=${1:-}
dir=${2:-}
[ -n "$dir" ] && shift 2 || { echo "usage: pkgroot.sh mount|umount DIR [KVER...]" >&2; exit 2; }
cache=${PCBG_CACHE:-/var/cache/pcbgroup}
base=$cache/bookworm
BASE_PKGS=(dkms libbpf1 libbpf-dev pkg-config systemd iproute2 procps kmod)

case $cmd in
umount)
	! mountpoint -q "$dir" || umount "$dir"
	rm -rf "$dir.rw"
	exit 0
	;;
mount) ;;
*) echo "usage: pkgroot.sh mount|umount DIR [KVER...]" >&2; exit 2 ;;
esac
# The URI the system's apt configuration uses for suite $1 (deb822 or
# one-line sources); the root gets the same archives, never a name of ours.
suite_uri() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] && awk -v s="$1" '/^URIs:/ { u = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) print u }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] && awk -v s="$1" '$1 == "deb" && $3 == s { print $2 }' "$f"
	done
	return 0
}
uri=$(suite_uri bookworm | sed -n 1p)
# bookworm's point releases and security updates carry the kernels' headers;
# backports the newer kernels.
sources() {
	local s u
	for s in bookworm bookworm-updates bookworm-security bookworm-backports; do
		u=$(suite_uri "$s" | sed -n 1p)
		[ -n "$u" ] || { [ "$s" = bookworm-backports ] && u=$uri; }
		[ -n "$u" ] && echo "deb $u $s main"
	done
}

in_root() {
	local root=$1
	shift
	mount -t proc proc "$root/proc"
	local rc=0
	DEBIAN_FRONTEND=noninteractive chroot "$root" "$@" || rc=$?
	umount "$root/proc"
	return $rc
}
apt_in() {
	local root=$1
	shift
	in_root "$root" apt-get -y -q -o Dpkg::Options::=--force-confdef \
		-o Dpkg::Options::=--force-confold --no-install-recommends "$@"
}

mkdir -p "$cache"
exec 9> "$cache/lock"
flock 9	# one writer of the base at a time (other worktrees, other runs)
if [ ! -e "$base/.complete" ]; then
	[ -n "$uri" ] || { echo "pkgroot: no bookworm source in the apt configuration" >&2; exit 1; }
	rm -rf "$base"
	echo "pkgroot: making the base root in $base (once)" >&2
	# the minbase scripts/deps.sh made for the containers' image, if it is there
	if [ -e "$cache/bookworm-minbase.tar" ]; then
		mkdir -p "$base"
		tar -C "$base" -xf "$cache/bookworm-minbase.tar"
	else
		debootstrap --variant=minbase bookworm "$base" "$uri" > "$cache/debootstrap.log" 2>&1 ||
			{ tail -20 "$cache/debootstrap.log" >&2; exit 1; }
	fi
	# no daemon starts inside the root
	printf '#!/bin/sh\nexit 101\n' > "$base/usr/sbin/policy-rc.d"
	chmod 755 "$base/usr/sbin/policy-rc.d"
	touch "$base/.complete"
fi
# No initramfs in the root: DKMS is what is tested, and the 6.12 headers
# pull in their kernel image, whose initramfs takes minutes to make.
mkdir -p "$base/etc/initramfs-tools"
echo 'update_initramfs=no' > "$base/etc/initramfs-tools/update-initramfs.conf"
in_root "$base" dpkg --configure -a > /dev/null 2>&1 || true
list=$base/etc/apt/sources.list.d/pcbgroup.list
sources | cmp -s - "$list" || { sources > "$list"; rm -f "$base/var/lib/apt/lists/"*Packages; }
# What is missing (a package added to BASE_PKGS, a new kernel's headers) is
# installed into the base; a kernel the archive lacks is left out.
have() { chroot "$base" dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
want=()
for p in "${BASE_PKGS[@]}"; do have "$p" || want+=("$p"); done
for k in "$@"; do have "linux-headers-$k" || want+=("linux-headers-$k"); done
if [ ${#want[@]} -gt 0 ]; then
	echo "pkgroot: installing into the base: ${want[*]}" >&2
	apt_in "$base" update > "$cache/base.log" 2>&1
	for p in "${want[@]}"; do
		apt_in "$base" install "$p" >> "$cache/base.log" 2>&1 ||
			echo "pkgroot: $p: not installable (see $cache/base.log)" >&2
	done
fi
# Only the kernel headers' .debs stay in the apt cache.
find "$base/var/cache/apt/archives" -name '*.deb' ! -name 'linux-headers-*' -delete
! mountpoint -q "$dir" || umount "$dir"
rm -rf "$dir.rw"
mkdir -p "$dir" "$dir.rw/upper" "$dir.rw/work"
mount -t overlay overlay -o "lowerdir=$base,upperdir=$dir.rw/upper,workdir=$dir.rw/work" "$dir"
