#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything pcbgroup needs to build, test and demo on Debian 12.
# Idempotent: when all is present it prints nothing and exits in well under a second.
# The Makefile runs it when a tool is missing; CI has no tty, so apt is non-interactive.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

# Debian 12 packages: toolchain, libbpf, sparse, test tools, the 6.1 kernel and its
# headers/source.
PKGS=(clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config make gcc
      iproute2 procps kmod python3 gnuplot-nox groff-base sparse
      linux-image-amd64 linux-headers-amd64 linux-source-6.1 xz-utils
      qemu-system-x86 busybox-static)
# Packaging (make deb, selftests/package.sh): the .debs, lintian, a fresh root.
PKGS+=(dkms dh-dkms debhelper lintian debootstrap bash-completion)
# From bookworm-backports: the 6.12 kernel (and virtme-ng where it is carried).
BPO_KERNEL_META=(linux-image-amd64 linux-headers-amd64)

BPO_LIST=/etc/apt/sources.list.d/pcbgroup-backports.list

missing=()
for p in "${PKGS[@]}" virtme-ng; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
have_bpo_kernel() { ls /lib/modules/ 2>/dev/null | grep -q '^6\.1[2-9].*-amd64$'; }
have_bpo_kernel || missing+=(backports-kernel)
ls /usr/src/linux-source-6.12.tar.xz >/dev/null 2>&1 || missing+=(linux-source-6.12)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing ${missing[*]}; run scripts/deps.sh as root" >&2
	exit 1
fi
echo "deps: installing: ${missing[*]}"

# bookworm-backports (and the virtme-ng fallback) use the archive URI the
# system already uses for bookworm.
uri=""
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
	uri=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && / bookworm( |$)/ { print u; exit }' \
		/etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
	uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list)
fi
if [ -z "$uri" ]; then
	echo "deps: no bookworm source found in the apt configuration" >&2
	exit 1
fi
[ -f "$BPO_LIST" ] || echo "deb $uri bookworm-backports main" > "$BPO_LIST"

apt_get() { apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"; }

# virtme-ng: bookworm-backports where the archive carries it; otherwise the
# Architecture: all package of the next release, fetched through a private apt
# state so that suite never enters the system's sources, and installed against
# bookworm's own dependencies.
install_virtme_ng() {
	if apt-cache show virtme-ng/bookworm-backports >/dev/null 2>&1; then
		apt_get install --no-install-recommends -t bookworm-backports virtme-ng
		return
	fi
	local d; d=$(mktemp -d)
	chmod 755 "$d"	# apt downloads as the _apt user
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	echo "deb $uri trixie main" > "$d/sources.list"
	local opts=(-o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=/dev/null
		    -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache")
	apt-get -q "${opts[@]}" update
	(cd "$d" && apt-get -q "${opts[@]}" download virtme-ng)
	apt_get install --no-install-recommends "$d"/virtme-ng_*_all.deb
	rm -rf "$d"
}

apt_get update
apt_get install --no-install-recommends "${PKGS[@]}"
dpkg-query -W -f='${Status}' virtme-ng 2>/dev/null | grep -q "install ok installed" ||
	install_virtme_ng
# The backports kernel is installed by its versioned names so that the bookworm
# metapackages (6.1) stay installed next to it.
for meta in "${BPO_KERNEL_META[@]}"; do
	dep=$(apt-cache show -o APT::Default-Release=bookworm-backports "$meta/bookworm-backports" |
		awk -F': ' '/^Depends:/ { split($2, d, ","); sub(/ .*/, "", d[1]); print d[1]; exit }')
	apt_get install --no-install-recommends "$dep"
done
src=$(apt-cache search --names-only '^linux-source-6\.12$' | awk '{ print $1 }')
apt_get install --no-install-recommends -t bookworm-backports "${src:-linux-source-6.12}"
