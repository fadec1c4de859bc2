#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# pcbgroup as a user installs it; KTAP results with "# Totals:" lines for
# run_tests.  As root.
#   install  make install DESTDIR=...: a program built against the installed
#            header, pkg-config file and .so steers; the installed pcbgroupctl
#            steers a separately started server; bash completion; make
#            uninstall leaves nothing
#   abi      the exported symbols against the kept list (selftests/abi.sh)
#   deb      make deb: four packages, lintian clean
#   root     the .debs installed with apt into a fresh Debian 12 root
#            (selftests/pkgroot.sh; base cached outside the repository): DKMS
#            builds the module for every kernel with headers
#   guest    for each kernel: a virtme-ng guest loads the root's module with
#            modprobe and runs the demo from the installed paths
#            (selftests/package/guest.sh)
#
#   host:   $OUT/pkgtest/destdir/usr/{sbin,lib,include,...}   (make install)
#   root:   $OUT/pkgtest/root (an overlay on the cached base)
#           <- apt install ./*.deb, dkms build per KVER
#   guest:  KVER kernel, host files read-only --chroot--> $OUT/pkgtest/root
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
top=$PWD
work=$top/$OUT/pkgtest
. selftests/ktap_helpers.sh
ktap_begin
# result NAME for the exit status of the command that ran last.
check() { local rc=$?; result "$1" $([ $rc = 0 ] && echo 1 || echo 0); }

root=$work/root
selftests/pkgroot.sh umount "$root"
rm -rf "$work"
mkdir -p "$work"
D=$work/destdir

# --- install --------------------------------------------------------------
make -s install DESTDIR="$D" PREFIX=/usr LIBDIR=/usr/lib > "$work/install.log" 2>&1
check "make install DESTDIR=... PREFIX=/usr"

pc() { PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_PATH=$D/usr/lib/pkgconfig pkg-config "$@"; }
flags=$(pc --cflags --libs pcbgroup 2>&1)
echo "# pkg-config --cflags --libs pcbgroup: $flags"
${CC:-gcc} -Wall -Wextra -Werror selftests/package/consumer.c $flags -o "$work/consumer" 2>&1
ldd_line=$(LD_LIBRARY_PATH=$D/usr/lib ldd "$work/consumer" 2>&1 | grep libpcbgroup)
echo "# $ldd_line"
grep -q "=> $D/usr/lib/libpcbgroup.so.0 " <<<"$ldd_line"
check "a program builds against the installed header, pcbgroup.pc and libpcbgroup.so.0"
out=$(LD_LIBRARY_PATH=$D/usr/lib unshare --net sh -c 'ip link set lo up && "$0"' \
	"$work/consumer" 2>&1)
rc=$?
echo "# $out"
[ $rc = 0 ]
check "the program steers with the installed library (drained socket gets nothing)"

# The installed pcbgroupctl on a separately started server.
steer() {
	mount --make-rprivate / && mount -t bpf bpf /sys/fs/bpf && ip link set lo up || return 1
	"$OUT/echo_server" -t udp -w 4 -p 8080 > "$work/server.out" &
	local srv=$! i
	for i in $(seq 100); do grep -q '^ready' "$work/server.out" && break; sleep 0.1; done
	"$CTL" attach --pid $srv && "$CTL" drain 1 0 && "$OUT/loadgen" -t udp -p 8080 -n 400
	"$CTL" show -j
	kill $srv
}
export -f steer
export OUT work CTL=$D/usr/sbin/pcbgroupctl LD_LIBRARY_PATH=$D/usr/lib
out=$(unshare --net --mount bash -c steer 2>&1)
unset LD_LIBRARY_PATH
sed 's/^/#   /' <<<"$out" | head -12
grep -q '^flows 400 answered 400 lost 0$' <<<"$out" && grep -q '^0 0$' <<<"$out" &&
	grep -q '"selected":400,' <<<"$out"
check "the installed pcbgroupctl attaches, drains and counts (400 flows, worker 0 none)"

# Completion: the words offered, and the knob list against pcbgroupctl -h.
complete_words() {
	bash -c '. /usr/share/bash-completion/bash_completion; . "$1"; shift
		 COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		 _pcbgroupctl 2>/dev/null; echo "${COMPREPLY[*]}"' _ \
		"$D/usr/share/bash-completion/completions/pcbgroupctl" pcbgroupctl "$@"
}
c1=$(complete_words s)
c2=$(complete_words set algorithm=ma)
c3=$(complete_words attach --proto "")
knobs_help=$("$OUT/pcbgroupctl" -h | sed -n '/^Knobs/,/^$/s/^  \([a-z_]*\) .*/\1/p' |
	sort | tr '\n' ' ')
knobs_comp=$(complete_words set "" | tr ' ' '\n' | grep '=$' | tr -d = | sort | tr '\n' ' ')
echo "# completion: 's' -> $c1; 'set algorithm=ma' -> $c2; 'attach --proto' -> $c3"
echo "# knobs in -h: $knobs_help; completed: $knobs_comp"
[ "$c1" = "show set" ] && [ "$c2" = "algorithm=maglev" ] && [ "$c3" = "tcp udp" ] &&
	[ -n "$knobs_help" ] && [ "$knobs_help" = "$knobs_comp" ]
check "bash completion offers commands, knobs (those of pcbgroupctl -h) and values"

# (pcbgroup(7) and the sysctl.d example against the knob table:
# selftests/knob_table.c)
lint=$(groff -man -ww -z docs/pcbgroup.7 2>&1)
[ -n "$lint" ] && echo "# groff: $lint"
[ -z "$lint" ]
check "pcbgroup(7) lints clean"

make -s uninstall DESTDIR="$D" PREFIX=/usr LIBDIR=/usr/lib > /dev/null 2>&1
left=$(find "$D" ! -type d)
[ -z "$left" ] || echo "# left: $left"
[ -z "$left" ]
check "make uninstall removes every installed file"

# --- abi ------------------------------------------------------------------
OUT=$OUT selftests/abi.sh 2>&1 | sed 's/^/# /'
check "libpcbgroup exports exactly the kept symbol list"

# --- deb ------------------------------------------------------------------
make -s deb OUT="$OUT" > "$work/deb.log" 2>&1
rc=$?
grep -E '^[EW]: ' "$work/deb.log" | sed 's/^/# lintian: /'
debs=()
for p in pcbgroup libpcbgroup0 libpcbgroup-dev pcbgroup-dkms; do
	f=$(ls "$OUT"/deb/${p}_*.deb 2>/dev/null) && debs+=("$f")
done
[ $rc = 0 ] && [ ${#debs[@]} = 4 ]
check "make deb: pcbgroup, libpcbgroup0, libpcbgroup-dev, pcbgroup-dkms; lintian clean"
[ $rc = 0 ] || { tail -20 "$work/deb.log" | sed 's/^/#   /'; exit 0; }

# --- root -----------------------------------------------------------------
kernels=()
for h in /usr/src/linux-headers-*-amd64; do
	k=${h#/usr/src/linux-headers-}
	[ -e "$h/Makefile" ] && [ -r "/boot/vmlinuz-$k" ] && kernels+=("$k")
done
mapfile -t kernels < <(printf '%s\n' "${kernels[@]}" | sort -V)
selftests/pkgroot.sh mount "$root" "${kernels[@]}" 2>&1 | sed 's/^/# /'
trap 'selftests/pkgroot.sh umount "$root"; ktap_finished' EXIT
# The base stays as it is while the overlay is on it (pkgroot.sh changes it
# only under the exclusive lock).
exec 8< "${PCBG_CACHE:-/var/cache/pcbgroup}/lock"
flock -s 8
[ -x "$root/usr/bin/apt-get" ]
check "a fresh Debian 12 root (selftests/pkgroot.sh)"
[ -x "$root/usr/bin/apt-get" ] || exit 0
in_root() {
	mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" || return 1
	local rc=0
	DEBIAN_FRONTEND=noninteractive chroot "$root" "$@" || rc=$?
	umount -R "$root/dev"
	umount "$root/proc"
	return $rc
}
with_headers=()
for k in "${kernels[@]}"; do
	[ -e "$root/usr/src/linux-headers-$k/Makefile" ] && with_headers+=("$k")
done
# The newest kernel arrives after the packages: an upgrade, which DKMS
# must follow.
newest=""
[ ${#with_headers[@]} -gt 0 ] && newest=${with_headers[${#with_headers[@]}-1]}
if [ ${#with_headers[@]} -gt 1 ]; then
	in_root dpkg --purge "linux-headers-$newest" > "$work/root.log" 2>&1
fi
mkdir -p "$root/tmp/debs"
cp "${debs[@]}" "$root/tmp/debs/"
in_root sh -c 'apt-get -y -q --no-install-recommends install /tmp/debs/*.deb' >> "$work/root.log" 2>&1
check "apt install ./pcbgroup*.deb ./libpcbgroup*.deb into the root"
[ -x "$root/usr/sbin/pcbgroupctl" ] || { tail -30 "$work/root.log" | sed 's/^/#   /'; exit 0; }
grep -E 'pcbgroup.ko|Building|dkms' "$work/root.log" | sed 's/^/#   /' | head -20
if [ ${#with_headers[@]} -gt 1 ]; then
	in_root sh -c "dpkg -i /var/cache/apt/archives/linux-headers-${newest}_*.deb" \
		>> "$work/root.log" 2>&1
	check "kernel upgrade: linux-headers-$newest installed after the packages"
fi
for k in "${kernels[@]}"; do
	if [[ " ${with_headers[*]} " != *" $k "* ]]; then
		result "DKMS builds pcbgroup.ko for $k" 1 "the archive has no headers for it"
		continue
	fi
	# compressed like the kernel's own modules where its config says so
	ls "$root/lib/modules/$k/updates/dkms/pcbgroup.ko"* > /dev/null 2>&1 &&
		in_root dkms status -k "$k" pcbgroup | grep -q ': installed'
	check "DKMS built and installed pcbgroup.ko for $k (updates/dkms)"
done
in_root dkms status pcbgroup | sed 's/^/# /'

# The installed libpcbgroup-dev, in the root.
cp selftests/package/consumer.c "$root/tmp/"
in_root sh -c 'gcc -Wall -Wextra -Werror /tmp/consumer.c $(pkg-config --cflags --libs pcbgroup) \
	-o /tmp/consumer' 2>&1 | sed 's/^/# /'
out=$(unshare --net --mount sh -c 'mount -t proc proc "$0/proc" && mount -t sysfs sysfs "$0/sys" &&
	chroot "$0" sh -c "ip link set lo up && /tmp/consumer"' "$root" 2>&1)
check "libpcbgroup-dev: a program built in the root with pkg-config steers"
echo "# $out"

# At boot, systemd-sysctl.service comes after the modules of modules-load.d.
grep -q '^After=.*systemd-modules-load.service' "$root/lib/systemd/system/systemd-sysctl.service"
check "boot order: systemd-sysctl.service runs after systemd-modules-load.service"

# --- guest ----------------------------------------------------------------
# The demo and its example programs (not packaged) beside the installed
# pcbgroupctl; a changed /etc/sysctl.d/pcbgroup.conf, as an admin would.
t=$root/usr/local/lib/pcbgroup-test
mkdir -p "$t/scripts"
cp "$OUT/echo_server" "$OUT/loadgen" "$t/"
cp scripts/demo.sh "$t/scripts/"
ln -s /usr/sbin/pcbgroupctl "$t/pcbgroupctl"
sed -i -e 's/^#-net.pcbgroup.algorithm = .*/-net.pcbgroup.algorithm = maglev/' \
	-e 's/^#-net.pcbgroup.cpu_bits = .*/-net.pcbgroup.cpu_bits = 0/' \
	"$root/etc/sysctl.d/pcbgroup.conf"
# One guest, the newest kernel's: the one DKMS built for on the upgrade.
for k in ${newest:+"$newest"}; do
	for attempt in 1 2; do
		out=$(timeout 400 scripts/vng.sh "$k" "$top/selftests/package/guest.sh $root $k" 2>&1
		      echo "# vng exit status $?")
		out=$(grep -vE '^\[ *[0-9]+\.[0-9]+\]' <<<"$out")
		grep -q '^# package guest ' <<<"$out" && break
		tail -10 <<<"$out" | sed "s/^/# $k: boot $attempt ran nothing: /"
	done
	sed 's/^/    /' <<<"$out"
	grep -q "^\(not \)\?ok [0-9]* $k: kernel log has no warning (package)" <<<"$out" ||
		result "$k: the package guest ran to its last check" 0
done
