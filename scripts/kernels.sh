# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The kernel matrix of `make check`: the Debian kernels pcbgroup.ko is built
# for (W=1, sparse) and whose virtme-ng guests run the suites.  Sourced by
# scripts/deps.sh (which installs them), scripts/build_module.sh (make
# module) and selftests/guest_tests.sh.  One kernel a line:
#   series   the kernel's major.minor, or "newest" for the newest of the suite
#   suite    the Debian suite it comes from
#   where    host: headers in /usr/src, built with Debian 12's gcc;
#            trixie: headers, kernel and toolchain in the trixie root,
#            for kernels whose kbuild tools need glibc >= 2.38 and gcc 14
# README.md ("Kernels") says how to add one.  Setting PCBG_KERNELS to some
# of these lines tests only those kernels.
PCBG_KERNELS=${PCBG_KERNELS:-"
6.1	bookworm		host
6.12	bookworm-backports	host
newest	trixie-backports	trixie
"}

# Made once by scripts/deps.sh (debootstrap): outside the source tree, shared
# by every checkout of the machine.  Not under /var/cache, which virtme-ng
# hides in its guests behind a tmpfs: they load the kernel's modules from here.
PCBG_TRIXIE_ROOT=${PCBG_TRIXIE_ROOT:-/var/lib/pcbgroup-matrix/trixie-root}

# The root of a kernel's files: "" for the host, the trixie root otherwise.
pcbg_root_of() {
	if [ "$1" = trixie ]; then
		echo "$PCBG_TRIXIE_ROOT"
	fi
}

# Prints the installed kernel release of a matrix line (its newest, for a
# series with several), or nothing when none is installed.
#   pcbg_kver SERIES WHERE
pcbg_kver() {
	local series=$1 root h found=""
	root=$(pcbg_root_of "$2")
	# "6.1." does not match 6.12
	[ "$series" = newest ] && series='[0-9]*'
	for h in "$root"/usr/src/linux-headers-$series.*-amd64; do
		[ -e "$h/Makefile" ] || continue
		found="$found ${h##*/linux-headers-}"
	done
	if [ -n "$found" ]; then
		printf '%s\n' $found | sort -V | tail -1
	fi
}

# The root a kernel release is built and booted from: the trixie root when
# its headers live there, else the host ("").
pcbg_root_of_kver() {
	if [ -e "$PCBG_TRIXIE_ROOT/usr/src/linux-headers-$1/Makefile" ]; then
		echo "$PCBG_TRIXIE_ROOT"
	fi
}

# The kernel `make module` builds for: the running one when its headers are
# installed, else the newest of the matrix.
pcbg_default_kver() {
	local series suite where
	if [ -e "/usr/src/linux-headers-$(uname -r)/Makefile" ]; then
		uname -r
		return
	fi
	while read -r series suite where; do
		[ -z "$series" ] || pcbg_kver "$series" "$where"
	done <<<"$PCBG_KERNELS" | sort -V | tail -1
}
