#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything pcbgroup needs to build, test and demo on Debian 12,
# and the kernels of the matrix (scripts/kernels.sh): Debian 12's own and
# bookworm-backports' on the host, newer ones in a trixie root made once with
# debootstrap (gcc 14, glibc 2.41, sparse 0.6.5), outside the source tree.
# Idempotent: when all is present it prints nothing and exits in well under a second.
# The Makefile runs it when a tool is missing; CI has no tty, so apt is non-interactive.
set -euo pipefail
. "$(dirname "$0")/kernels.sh"

export DEBIAN_FRONTEND=noninteractive

# Debian 12 packages: toolchain, libbpf, sparse, test tools, the 6.1 kernel and its
# headers/source.
PKGS=(clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config make gcc
      iproute2 procps kmod python3 gnuplot-nox groff-base sparse
      linux-image-amd64 linux-headers-amd64 linux-source-6.1 xz-utils
      qemu-system-x86 busybox-static debootstrap)
# Packaging (make deb, selftests/package.sh): the .debs, lintian, a fresh root.
PKGS+=(dkms dh-dkms debhelper lintian bash-completion)
# Real servers the bench reloads (bench/steer.c): nginx, haproxy and unbound,
# never started as services here (their own configuration, in a private namespace).
PKGS+=(nginx-light haproxy unbound)
# gunicorn with sync workers, N masters on one port with --reuse-port
# (bench/tail -S gunicorn): a real server whose workers block.
PKGS+=(gunicorn)
# Containers (selftests/pcbgroupd_containers.c): rootful podman on the kernel's own
# overlayfs; crun, podman's default runtime, without which no podman command
# starts, and runc, which the test runs containers with: unlike crun, it
# puts them in the cgroup v2 tree of a hybrid host too.  No network
# backend: --network none.
PKGS+=(podman crun runc)
# Their image, made here from a debootstrap root with Debian's nginx
# (nothing is pulled); the test has the same name.
PCBG_IMAGE=localhost/pcbgroup-bookworm-nginx
CACHE=${PCBG_CACHE:-/var/cache/pcbgroup}
# From bookworm-backports: the 6.12 kernel (and virtme-ng where it is carried).
BPO_KERNEL_META=(linux-image-amd64 linux-headers-amd64)

BPO_LIST=/etc/apt/sources.list.d/pcbgroup-backports.list

missing=()
# One dpkg-query for all: each call reads the whole status database.
declare -A installed=()
while read -r state p; do
	[ "$state" = ii ] && installed[$p]=1
done < <(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PKGS[@]}" virtme-ng 2>/dev/null)
for p in "${PKGS[@]}" virtme-ng; do
	[ -n "${installed[$p]:-}" ] || missing+=("$p")
done
have_bpo_kernel() { ls /lib/modules/ 2>/dev/null | grep -q '^6\.1[2-9].*-amd64$'; }
have_bpo_kernel || missing+=(backports-kernel)
# promtool, the Prometheus tools' parser and PromQL engine, for the daemon's
# tests of its counters: the binary alone, from bookworm's prometheus .deb
# (installing the package would start a Prometheus server).
PROMTOOL=/usr/local/bin/promtool
[ -x "$PROMTOOL" ] || missing+=(promtool)
ls /usr/src/linux-source-6.12.tar.xz >/dev/null 2>&1 || missing+=(linux-source-6.12)
# The root's last step writes its stamp; the matrix's trixie kernels.
ROOT=$PCBG_TRIXIE_ROOT
[ -e "$ROOT/.pcbgroup-root" ] || missing+=(trixie-root)
root_kernels=()
while read -r series suite where; do
	[ "$where" = trixie ] || continue
	[ -n "$(pcbg_kver "$series" trixie)" ] && continue
	root_kernels+=("$series/$suite")
	missing+=("trixie-root-kernel-$series")
done <<<"$PCBG_KERNELS"

# Real QUIC software, which Debian 12 lacks, in the trixie root
# (selftests/quic_servers.c): aioquic, and ngtcp2's example server and client
# (gtlsserver, gtlsclient).
ROOT_QUIC_PKGS=(python3-aioquic ngtcp2-server ngtcp2-client)
[ -e "$ROOT/usr/lib/python3/dist-packages/aioquic" ] &&
	[ -x "$ROOT/usr/bin/gtlsclient" ] || missing+=(trixie-root-quic)
[ -n "${installed[podman]:-}" ] && podman image exists "$PCBG_IMAGE" || missing+=(image)

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

apt_get() { apt-get -y -q -o DPkg::Lock::Timeout=900 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"; }

# Downloads the .debs of packages of another suite into directory DIR,
# through a private apt state so that the suite never enters the system's
# sources.
#   download_debs SUITE DIR PACKAGE...
download_debs() {
	local suite=$1 d=$2
	shift 2
	chmod 755 "$d"	# apt downloads as the _apt user
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	echo "deb $uri $suite main" > "$d/sources.list"
	local opts=(-o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=/dev/null
		    -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache")
	apt-get -q "${opts[@]}" update
	(cd "$d" && apt-get -q "${opts[@]}" download "$@")
}

# virtme-ng: bookworm-backports where the archive carries it; otherwise the
# Architecture: all package of the next release, installed against
# bookworm's own dependencies.
install_virtme_ng() {
	if apt-cache show virtme-ng/bookworm-backports >/dev/null 2>&1; then
		apt_get install --no-install-recommends -t bookworm-backports virtme-ng
		return
	fi
	local d; d=$(mktemp -d)
	download_debs trixie "$d" virtme-ng
	apt_get install --no-install-recommends "$d"/virtme-ng_*_all.deb
	rm -rf "$d"
}

# Runs a command in the trixie root R, with /dev and /proc, in a private
# mount namespace that goes away with it.
#   in_root R COMMAND...
in_root() {
	cp -L /etc/resolv.conf "$1/etc/resolv.conf"
	unshare --mount --propagation private -- sh -ec \
		'r=$1; shift
		 mount --rbind /dev "$r/dev"
		 mount -t proc proc "$r/proc"
		 exec chroot "$r" env -i DEBIAN_FRONTEND=noninteractive HOME=/root LANG=C.UTF-8 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"' \
		in_root "$@"
}

# The trixie root: a minimal trixie with make, binutils (gcc-14 only
# recommends them) and the trixie-backports source,
# and sid's sparse (trixie's 0.6.4 stops at __typeof_unqual__, which kernels
# use since v6.14 ac053946f5c4 ("compiler.h: introduce TYPEOF_UNQUAL()
# macro")).  Only its binary is taken: it needs nothing but glibc >= 2.38,
# while the package wants sid's gcc.  Built beside its final path and renamed
# when complete, so an interrupted run starts over.
make_trixie_root() {
	local new=$ROOT.new d out
	rm -rf "$new"
	mkdir -p "$(dirname "$ROOT")"
	debootstrap --variant=minbase --include=make,binutils trixie "$new" "$uri"
	echo "deb $uri trixie-backports main" > "$new/etc/apt/sources.list.d/trixie-backports.list"
	d=$(mktemp -d)
	download_debs sid "$d" sparse
	dpkg-deb --fsys-tarfile "$d"/sparse_*.deb | tar -xO ./usr/bin/sparse > "$new/usr/local/bin/sparse"
	chmod 755 "$new/usr/local/bin/sparse"
	rm -rf "$d"
	printf 'static int u(const int *q) { __typeof_unqual__(*q) v = *q; return v; }\n' \
		> "$new/tmp/unqual.c"
	if ! out=$(in_root "$new" sparse /tmp/unqual.c 2>&1) || [ -n "$out" ]; then
		echo "deps: sid's sparse in $new does not understand __typeof_unqual__: $out" >&2
		exit 1
	fi
	in_root "$new" apt-get -q update
	touch "$new/.pcbgroup-root"
	rm -rf "$ROOT"
	mv "$new" "$ROOT"
}

# Installs in the trixie root the newest kernel of a series (or of the suite,
# for "newest"): headers, image and modules, without an initramfs (virtme-ng
# makes its own), and the kbuild script Debian's headers leave out.
#   install_root_kernel SERIES SUITE
install_root_kernel() {
	local series=$1 suite=$2 pattern kver srctree
	pattern='^linux-headers-[0-9]+\.[0-9]+\.[0-9]+\+[a-z0-9]+-amd64$'
	[ "$series" = newest ] || pattern="^linux-headers-${series//./\\.}\\.[0-9]+\\+[a-z0-9]+-amd64\$"
	kver=$(in_root "$ROOT" apt-cache search --names-only "$pattern" |
	       awk '{ sub(/^linux-headers-/, "", $1); print $1 }' | sort -V | tail -1)
	if [ -z "$kver" ]; then
		echo "deps: no $series kernel in $suite: update the matrix in scripts/kernels.sh" >&2
		exit 1
	fi
	# linux-image-KVER wants an initramfs tool; the packages split out of it
	# (trixie-backports' 7.x) do not.
	if ! in_root "$ROOT" apt-cache show "linux-binary-$kver" > /dev/null 2>&1; then
		echo "deps: $kver has no linux-binary package; the trixie root takes only such kernels" >&2
		exit 1
	fi
	in_root "$ROOT" apt-get -y -q install --no-install-recommends -t "$suite" \
		"linux-headers-$kver" "linux-binary-$kver" "linux-modules-$kver"
	in_root "$ROOT" apt-get clean
	# Debian's kbuild package lacks scripts/checker-valid.sh, and the
	# kernel's Makefile then turns C=1 off with a mere message.  srctree is
	# the -common directory the headers' Makefile includes.
	srctree=$ROOT$(awk '$1 == "include" { sub(/\/Makefile$/, "", $2); print $2 }' \
		       "$ROOT/usr/src/linux-headers-$kver/Makefile")
	if grep -q checker-valid.sh "$srctree/Makefile" &&
	   [ ! -e "$srctree/scripts/checker-valid.sh" ]; then
		install -m 755 "$(dirname "$0")/checker-valid.sh" "$srctree/scripts/checker-valid.sh"
	fi
}

# The containers' image: Debian 12's minbase and nginx, imported into
# podman.  The minbase root's tarball stays in the cache, where
# selftests/pkgroot.sh starts its own root from it rather than running
# debootstrap again; nginx goes into a copy.
make_image() {
	local tar=$CACHE/bookworm-minbase.tar new
	mkdir -p "$CACHE"
	exec 8> "$CACHE/lock"
	flock 8
	if [ ! -e "$tar" ]; then
		new=$(mktemp -d "$CACHE/minbase.XXXXXX")
		debootstrap --variant=minbase bookworm "$new/root" "$uri" > "$new/log" 2>&1 ||
			{ tail -20 "$new/log" >&2; rm -rf "$new"; exit 1; }
		tar -C "$new/root" -cf "$new/root.tar" .
		mv "$new/root.tar" "$tar"
		rm -rf "$new"
	fi
	new=$(mktemp -d "$CACHE/image.XXXXXX")
	mkdir "$new/root"
	tar -C "$new/root" -xf "$tar"
	# no daemon starts inside the root (nginx's postinst would)
	printf '#!/bin/sh\nexit 101\n' > "$new/root/usr/sbin/policy-rc.d"
	chmod 755 "$new/root/usr/sbin/policy-rc.d"
	{ in_root "$new/root" apt-get -q update &&
	  in_root "$new/root" apt-get -y -q install --no-install-recommends nginx &&
	  in_root "$new/root" apt-get clean; } > "$new/log" 2>&1 ||
		{ tail -20 "$new/log" >&2; rm -rf "$new"; exit 1; }
	rm -rf "$new/root/usr/sbin/policy-rc.d" "$new/root/var/lib/apt/lists/"*
	tar -C "$new/root" -c . | podman import -q - "$PCBG_IMAGE" > /dev/null
	rm -rf "$new"
	exec 8>&-
}

apt_get update
apt_get install --no-install-recommends "${PKGS[@]}"
if [ ! -x "$PROMTOOL" ]; then
	d=$(mktemp -d)
	chmod 755 "$d"	# apt downloads as the _apt user
	(cd "$d" && apt-get -q download prometheus)
	dpkg-deb --fsys-tarfile "$d"/prometheus_*.deb | tar -xO ./usr/bin/promtool > "$PROMTOOL.new"
	chmod 755 "$PROMTOOL.new"
	mv "$PROMTOOL.new" "$PROMTOOL"
	rm -rf "$d"
fi
dpkg-query -W -f='${Status}' virtme-ng 2>/dev/null | grep -q "install ok installed" ||
	install_virtme_ng
# The backports kernel is installed by its versioned names so that the bookworm
# metapackages (6.1) stay installed next to it.
for meta in "${BPO_KERNEL_META[@]}"; do
	dep=$(apt-cache show -o APT::Default-Release=bookworm-backports "$meta/bookworm-backports" |
		awk -F': ' '/^Depends:/ && !dep { split($2, d, ","); dep = d[1]; sub(/ .*/, "", dep) }
			    END { print dep }')
	apt_get install --no-install-recommends "$dep"
done
src=$(apt-cache search --names-only '^linux-source-6\.12$' | awk '{ print $1 }')
apt_get install --no-install-recommends -t bookworm-backports "${src:-linux-source-6.12}"

# One deps.sh at a time builds the shared root.
mkdir -p "$(dirname "$ROOT")"
exec 9> "$(dirname "$ROOT")/.lock"
flock 9
[ -e "$ROOT/.pcbgroup-root" ] || make_trixie_root
for k in "${root_kernels[@]}"; do
	[ -n "$(pcbg_kver "${k%%/*}" trixie)" ] || install_root_kernel "${k%%/*}" "${k#*/}"
done
if [ ! -e "$ROOT/usr/lib/python3/dist-packages/aioquic" ] ||
   [ ! -x "$ROOT/usr/bin/gtlsclient" ]; then
	in_root "$ROOT" apt-get -q update
	in_root "$ROOT" apt-get -y -q install --no-install-recommends "${ROOT_QUIC_PKGS[@]}"
	in_root "$ROOT" apt-get clean
fi
podman image exists "$PCBG_IMAGE" || make_image
