#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A fresh Debian 12 root to install the pcbgroup packages in:
#   scripts/pkgroot.sh DIR KVER...
# copies into DIR (which must not exist) a base root kept between runs in
# $PCBG_CACHE/bookworm (default /var/cache/pcbgroup, outside the repository):
# debootstrap's minbase plus what the packages need from the archive (dkms,
# libbpf1, systemd for systemd-sysctl, iproute2) and the Debian headers of
# each KVER.  The base is made once (a few minutes), given a missing
# kernel's headers when asked, and otherwise only copied (seconds).  The
# downloaded .debs stay in its apt cache, so DIR can install them again
# offline (a kernel upgrade, in selftests/package.sh).  A
# kernel whose headers the archive does not carry is reported on stderr as
# "pkgroot: no headers for KVER" and left out.
set -euo pipefail
dir=$1
shift
cache=${PCBG_CACHE:-/var/cache/pcbgroup}
base=$cache/bookworm
BASE_PKGS=(dkms libbpf1 libbpf-dev pkg-config systemd iproute2 procps kmod)

[ ! -e "$dir" ] || { echo "pkgroot: $dir exists" >&2; exit 1; }
uri=""
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
	uri=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && / bookworm( |$)/ { print u; exit }' \
		/etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
	uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list)
fi

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
	debootstrap --variant=minbase bookworm "$base" "$uri" > "$cache/debootstrap.log" 2>&1 ||
		{ tail -20 "$cache/debootstrap.log" >&2; exit 1; }
	echo "deb $uri bookworm-backports main" > "$base/etc/apt/sources.list.d/backports.list"
	# no daemon starts inside the root
	printf '#!/bin/sh\nexit 101\n' > "$base/usr/sbin/policy-rc.d"
	chmod 755 "$base/usr/sbin/policy-rc.d"
	touch "$base/.complete"
fi
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
cp -a "$base" "$dir"
