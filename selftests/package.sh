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
#            (scripts/pkgroot.sh; base cached outside the repository): DKMS
#            builds the module for every kernel with headers
#   guest    for each kernel: a virtme-ng guest loads the root's module with
#            modprobe and runs the demo from the installed paths
#            (selftests/package/guest.sh)
#
#   host:   $OUT/pkgtest/destdir/usr/{sbin,lib,include,...}   (make install)
#   root:   $OUT/pkgtest/root  <- apt install ./*.deb, dkms build per KVER
#   guest:  KVER kernel, host files read-only --chroot--> $OUT/pkgtest/root
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
top=$PWD
work=$top/$OUT/pkgtest
. selftests/ktap.sh
# result NAME for the exit status of the command that ran last.
check() { local rc=$?; result "$1" $([ $rc = 0 ] && echo 1 || echo 0); }

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
knobs_help=$("$OUT/pcbgroupctl" -h | awk '/knobs:/ { k = 1; sub(/.*knobs:/, ""); print; next }
	     k && /^          *[a-z]/ { print; next } { k = 0 }' | grep -oE '[a-z_]+' | sort | tr '\n' ' ')
knobs_comp=$(complete_words set "" | tr ' ' '\n' | grep '=$' | tr -d = | sort | tr '\n' ' ')
echo "# completion: 's' -> $c1; 'set algorithm=ma' -> $c2; 'attach --proto' -> $c3"
echo "# knobs in -h: $knobs_help; completed: $knobs_comp"
[ "$c1" = "show set" ] && [ "$c2" = "algorithm=maglev" ] && [ "$c3" = "tcp udp" ] &&
	[ -n "$knobs_help" ] && [ "$knobs_help" = "$knobs_comp" ]
check "bash completion offers commands, knobs (those of pcbgroupctl -h) and values"

make -s uninstall DESTDIR="$D" PREFIX=/usr LIBDIR=/usr/lib > /dev/null 2>&1
left=$(find "$D" ! -type d)
[ -z "$left" ] || echo "# left: $left"
[ -z "$left" ]
check "make uninstall removes every installed file"

# --- abi ------------------------------------------------------------------
OUT=$OUT selftests/abi.sh 2>&1 | sed 's/^/# /'
check "libpcbgroup exports exactly the kept symbol list"
