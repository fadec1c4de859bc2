#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# pcbgroup as a user installs it; KTAP results with "# Totals:" lines for
# run_tests.  As root.
#   install  make install DESTDIR=...: a program built against the installed
#            header, pkg-config file and .so steers; the installed pcbgroupctl
#            steers a separately started server; --version; bash completion
#            (a group id of the namespace, too); the README's web.conf, as
#            printed, is a good declaration; an edited /etc file survives
#            install and uninstall; make uninstall leaves nothing else
#   abi      the exported symbols against the kept list (checks/abi.sh)
#   deb      make deb: four packages, lintian clean; made again from the
#            `make dist` tarball unpacked elsewhere (no git there): the same
#            bytes
#   source   the README's install commands, literally, in a fresh Debian 12
#            root (both PREFIXes, install-dkms), each undone by uninstall
#   root     the .debs installed with the README's apt line into a fresh
#            Debian 12 root (selftests/pkgroot.sh; base cached outside the
#            repository): DKMS builds the module for every kernel with
#            headers; pcbgroupd.service enabled but held back by its
#            condition until a declaration exists, verified, exposure <= 3;
#            the installed pcbgroupd steers with only the unit's capabilities
#   guest    for each kernel: a virtme-ng guest loads the root's module with
#            modprobe and runs the demo from the installed paths
#            (selftests/package/guest.sh)
#
#   host:   $OUT/pkgtest/destdir/usr/{sbin,lib,include,...}   (make install)
#   source: $OUT/pkgtest/srcroot (another overlay), the tree bind-mounted on
#           /src <- make install, make install-dkms
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
srcroot=$work/srcroot
selftests/pkgroot.sh umount "$root"
selftests/pkgroot.sh umount "$srcroot"
rm -rf "$work"
mkdir -p "$work"
D=$work/destdir
VERSION=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
# The README's block of commands after the line starting with $1, without
# the prompt: what a reader would type.
readme_block() {
	awk -v start="$1" 'index($0, start) == 1 { on = 1; next }
		on && /^```/ { if (inside) exit; inside = 1; next }
		inside' README.md
}
readme_cmds() {
	readme_block "$1" | awk '/^# / { if (cmd != "") print cmd; cmd = substr($0, 3); next }
		cmd ~ /\\$/ { sub(/\\$/, "", cmd); sub(/^ +/, ""); cmd = cmd $0 }
		END { if (cmd != "") print cmd }'
}

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

# --version, from debian/changelog; the daemon linked with the library.
v1=$(LD_LIBRARY_PATH=$D/usr/lib "$D/usr/sbin/pcbgroupctl" --version 2>&1)
v2=$(LD_LIBRARY_PATH=$D/usr/lib "$D/usr/sbin/pcbgroupd" -V 2>&1)
echo "# $v1; $v2"
[ "$v1" = "pcbgroupctl $VERSION" ] && [ "$v2" = "pcbgroupd $VERSION" ]
check "pcbgroupctl --version and pcbgroupd -V say $VERSION"
readelf -d "$D/usr/sbin/pcbgroupd" | grep -q 'NEEDED.*\[libpcbgroup\.so\.0\]'
check "the installed pcbgroupd uses libpcbgroup.so.0, as pcbgroupctl does"

# The README's declaration, as printed there (inline comments included).
mkdir -p "$work/decl"
awk '/^# \/etc\/pcbgroup\/web.conf$/ { on = 1 } on && /^```/ { exit } on' README.md \
	> "$work/decl/web.conf"
out=$(LD_LIBRARY_PATH=$D/usr/lib "$D/usr/sbin/pcbgroupd" --check -c "$work/decl" 2>&1)
echo "# pcbgroupd --check on the README's web.conf: $out"
[ "$out" = "1 good, 0 bad declarations in $work/decl" ] &&
	cmp -s "$work/decl/web.conf" "$D/usr/share/doc/pcbgroup/examples/web.conf"
check "the README's web.conf is a good declaration, and the installed example"

# The installed pcbgroupctl on a separately started server.
steer() {
	mount --make-rprivate / && mount -t bpf bpf /sys/fs/bpf && ip link set lo up || return 1
	"$OUT/echo_server" -t udp -w 4 -p 8080 > "$work/server.out" &
	local srv=$! i
	for i in $(seq 100); do grep -q '^ready' "$work/server.out" && break; sleep 0.1; done
	"$CTL" attach --pid $srv && "$CTL" drain 1 0 && "$OUT/loadgen" -t udp -p 8080 -n 400
	"$CTL" show -j
	"$CTL" show | grep -E '^1 +0 '
	echo "completed ids: $(PATH=${CTL%/*}:$PATH complete_words show '' | tr -d ' ')"
	kill $srv
}
# The words the installed completion offers for "pcbgroupctl ARGS...", the
# last one being completed.
complete_words() {
	bash -c '. /usr/share/bash-completion/bash_completion; . "$1"; shift
		 COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		 _pcbgroupctl 2>/dev/null; echo "${COMPREPLY[*]}"' _ \
		"$D/usr/share/bash-completion/completions/pcbgroupctl" pcbgroupctl "$@"
}
export -f steer complete_words
export OUT work D CTL=$D/usr/sbin/pcbgroupctl LD_LIBRARY_PATH=$D/usr/lib
out=$(unshare --net --mount bash -c steer 2>&1)
unset LD_LIBRARY_PATH
sed 's/^/#   /' <<<"$out" | head -12
grep -q '^flows 400 answered 400 lost 0$' <<<"$out" && grep -q '^0 0$' <<<"$out" &&
	grep -q '"selected":400,' <<<"$out"
check "the installed pcbgroupctl attaches, drains and counts (400 flows, worker 0 none)"
grep -qE '^1 +0 .* draining$' <<<"$out"
check "show marks the drained slot draining"
grep -qx 'completed ids: 1' <<<"$out"
check "bash completion offers the namespace's group id (1) after 'show'"

# Completion: the words offered, and the knob list against pcbgroupctl -h
# (every option: checks/completion.sh).
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

# An admin's edit of an /etc file: install keeps it (the new one beside it),
# uninstall leaves it.
conf=$D/etc/sysctl.d/pcbgroup.conf
echo '-net.pcbgroup.algorithm = maglev' >> "$conf"
cp "$conf" "$work/edited.conf"
make -s install DESTDIR="$D" PREFIX=/usr LIBDIR=/usr/lib > /dev/null 2>&1
cmp -s "$conf" "$work/edited.conf" && cmp -s "$conf.dist" dist/sysctl.conf
check "make install keeps an edited /etc/sysctl.d/pcbgroup.conf, the new one as .dist"
make -s uninstall DESTDIR="$D" PREFIX=/usr LIBDIR=/usr/lib > /dev/null 2>&1
left=$(find "$D" ! -type d)
[ "$left" = "$conf" ] || echo "# left: $left"
[ "$left" = "$conf" ] && cmp -s "$conf" "$work/edited.conf"
check "make uninstall removes every installed file but the edited one"

# --- abi ------------------------------------------------------------------
OUT=$OUT checks/abi.sh 2>&1 | sed 's/^/# /'
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

# The same packages again, from the source tarball make deb made, unpacked
# at another path, outside any git checkout.
other=$(mktemp -d /tmp/pcbgroup-elsewhere.XXXXXX)
tar -xzf "$OUT/pcbgroup-$VERSION.tar.gz" -C "$other"
(cd "$other/pcbgroup-$VERSION" && GIT_CEILING_DIRECTORIES=$other make -s deb OUT=build LINTIAN=: \
	> "$work/deb2.log" 2>&1)
rc=$?
differ=""
for f in "$OUT"/deb/*.deb; do
	cmp -s "$f" "$other/pcbgroup-$VERSION/build/deb/${f##*/}" || differ+=" ${f##*/}"
done
[ -n "$differ" ] && echo "# differ:$differ"
[ $rc = 0 ] && [ -z "$differ" ] && [ ! -e "$other/pcbgroup-$VERSION/.git" ]
check "make deb from the make dist tarball at another path: byte-identical .debs"
rm -rf "$other"

# --- root -----------------------------------------------------------------
kernels=()
for h in /usr/src/linux-headers-*-amd64; do
	k=${h#/usr/src/linux-headers-}
	[ -e "$h/Makefile" ] && [ -r "/boot/vmlinuz-$k" ] && kernels+=("$k")
done
mapfile -t kernels < <(printf '%s\n' "${kernels[@]}" | sort -V)
selftests/pkgroot.sh mount "$root" "${kernels[@]}" 2>&1 | sed 's/^/# /'
selftests/pkgroot.sh mount "$srcroot" 2>&1 | sed 's/^/# /'
trap '! mountpoint -q "$srcroot/src" || umount "$srcroot/src"
      selftests/pkgroot.sh umount "$srcroot"; selftests/pkgroot.sh umount "$root"
      ktap_finished' EXIT
# The base stays as it is while the overlay is on it (pkgroot.sh changes it
# only under the exclusive lock).
exec 8< "${PCBG_CACHE:-/var/cache/pcbgroup}/lock"
flock -s 8
[ -x "$root/usr/bin/apt-get" ]
check "a fresh Debian 12 root (selftests/pkgroot.sh)"
[ -x "$root/usr/bin/apt-get" ] || exit 0
# in_dir ROOT CMD...: CMD chrooted in ROOT, with /proc and /dev.
in_dir() {
	local r=$1 rc=0
	shift
	mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" || return 1
	DEBIAN_FRONTEND=noninteractive chroot "$r" "$@" || rc=$?
	umount -R "$r/dev"
	umount "$r/proc"
	return $rc
}
in_root() { in_dir "$root" "$@"; }
# The unit file UNIT in ROOT: systemd-analyze verify says nothing; the
# exposure of systemd-analyze security is at most 3.
unit_checks() {
	local r=$1 unit=$2 out exp
	out=$(in_dir "$r" timeout 60 systemd-analyze verify --man=no "$unit" 2>&1) &&
		[ -z "$out" ] || { echo "# verify $unit: $out"; return 1; }
	exp=$(in_dir "$r" timeout 60 systemd-analyze security --offline=true "$unit" 2>&1 |
	      sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	echo "# systemd-analyze security $unit: exposure $exp"
	[ -n "$exp" ] && awk -v e="$exp" 'BEGIN { exit !(e <= 3) }'
}
# Nothing an install left in the source root but the loader's caches,
# systemd-analyze's runtime files and directories.
left_in_srcroot() {
	(cd "$srcroot.rw/upper" && find . ! -type d ! -path ./etc/ld.so.cache \
		! -path ./var/cache/ldconfig/aux-cache ! -path './run/*' | sort)
}

# --- source ---------------------------------------------------------------
# The README's commands, as a reader types them, in the tree built above.
mkdir -p "$srcroot/src"
mount --bind "$top" "$srcroot/src"
mapfile -t cmds < <(readme_cmds '**From the source tree**')
echo "# the README's install commands: ${cmds[*]}"
in_src() { in_dir "$srcroot" sh -c "cd /src && OUT=$OUT $1" >> "$work/source.log" 2>&1; }
for prefix in /usr/local /usr; do
	c=""
	for x in "${cmds[@]}"; do
		case $x in
		"make install "*"PREFIX=$prefix"*) c=$x ;;
		"make install "*) [ $prefix = /usr/local ] && [[ $x != *PREFIX=* ]] && c=$x ;;
		esac
	done
	[ -n "$c" ] || { result "README: make install for PREFIX=$prefix" 0; continue; }
	sbin=$prefix/sbin
	unitdir=$prefix/lib/systemd/system
	[ $prefix = /usr ] && unitdir=/lib/systemd/system
	in_src "$c"
	v1=$(in_dir "$srcroot" "$sbin/pcbgroupctl" --version 2>&1)
	v2=$(in_dir "$srcroot" "$sbin/pcbgroupd" --version 2>&1)
	echo "# '$c': $v1; $v2; $(grep ^ExecStart= "$srcroot$unitdir/pcbgroupd.service")"
	[ "$v1" = "pcbgroupctl $VERSION" ] && [ "$v2" = "pcbgroupd $VERSION" ] &&
		grep -qx "ExecStart=$sbin/pcbgroupd \$PCBGROUPD_OPTS" "$srcroot$unitdir/pcbgroupd.service" &&
		unit_checks "$srcroot" "$unitdir/pcbgroupd.service"
	check "README: '$c': the tools run (ldconfig), $unitdir/pcbgroupd.service runs $sbin/pcbgroupd, verified"
	in_src "make uninstall PREFIX=$prefix"
	left=$(left_in_srcroot)
	[ -z "$left" ] || echo "# left: $left"
	[ -z "$left" ]
	check "make uninstall PREFIX=$prefix leaves nothing"
done
c=$(printf '%s\n' "${cmds[@]}" | grep -m1 '^make install-dkms')
src_kernels=()
for k in "${kernels[@]}"; do
	[ -e "$srcroot/usr/src/linux-headers-$k/Makefile" ] && src_kernels+=("$k")
done
if [ -n "$c" ] && [ ${#src_kernels[@]} -gt 0 ]; then
	in_src "$c"
	ok=1
	for k in "${src_kernels[@]}"; do
		v=$(in_dir "$srcroot" sh -c "modinfo -F version /lib/modules/$k/updates/dkms/pcbgroup.ko*" 2>&1)
		echo "# $k: pcbgroup.ko version '$v'"
		[ "$v" = "$VERSION" ] || ok=0
	done
	[ $ok = 1 ]
	check "README: '$c' builds pcbgroup.ko $VERSION for every kernel with headers (${src_kernels[*]})"
	in_src "make uninstall-dkms"
	[ -z "$(in_dir "$srcroot" dkms status pcbgroup 2>&1)" ] &&
		! ls "$srcroot"/lib/modules/*/updates/dkms/pcbgroup.ko* > /dev/null 2>&1 &&
		! ls -d "$srcroot"/usr/src/pcbgroup-* > /dev/null 2>&1
	check "make uninstall-dkms removes the module from every kernel and its sources"
else
	result "README: make install-dkms" 0 "no such command in the README, or no kernel headers"
fi
umount "$srcroot/src"
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
# The README's apt line as printed, in a directory holding build/deb/, as
# an admin who answers yes (and wants no recommended extras) runs it; then
# libpcbgroup-dev, which it says to add to build against the library.
mkdir -p "$root/tmp/pkgs/build/deb"
cp "${debs[@]}" "$root/tmp/pkgs/build/deb/"
printf 'APT::Get::Assume-Yes "true";\nAPT::Install-Recommends "false";\n' \
	> "$root/etc/apt/apt.conf.d/90pcbgroup-test"
apt_line=$(readme_cmds '**From Debian packages**' | grep -m1 '^apt install ')
echo "# the README's: $apt_line"
# (each on its own: the README's line ends in a comment)
[ -n "$apt_line" ] && in_root sh -c "cd /tmp/pkgs && $apt_line" >> "$work/root.log" 2>&1 &&
	in_root sh -c "cd /tmp/pkgs && apt install ./build/deb/libpcbgroup-dev_*.deb" \
	>> "$work/root.log" 2>&1
check "the README's apt install line, then libpcbgroup-dev, into the root"
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
ok=1
for k in "${with_headers[@]}"; do
	v=$(in_root sh -c "modinfo -F version /lib/modules/$k/updates/dkms/pcbgroup.ko*" 2>&1)
	[ "$v" = "$VERSION" ] || { ok=0; echo "# $k: pcbgroup.ko version '$v'"; }
done
[ $ok = 1 ] && [ ${#with_headers[@]} -gt 0 ]
check "the DKMS-built pcbgroup.ko says version $VERSION (modinfo)"

# The daemon after install: enabled, but held back by its condition until
# /etc/pcbgroup holds a declaration (the README's web.conf here).
unit=/lib/systemd/system/pcbgroupd.service
enabled=$(systemctl --root="$root" is-enabled pcbgroupd.service 2>&1)
cond=$(grep '^ConditionDirectoryNotEmpty=' "$root$unit")
in_root systemd-analyze condition "$cond" > "$work/cond1.log" 2>&1
held=$?
mkdir -p "$root/etc/pcbgroup"
cp "$work/decl/web.conf" "$root/etc/pcbgroup/"
in_root systemd-analyze condition "$cond" > "$work/cond2.log" 2>&1
go=$?
decl=$(in_root pcbgroupd --check 2>&1)
rm -r "$root/etc/pcbgroup"
echo "# is-enabled: $enabled; '$cond' without a declaration: $(tail -1 "$work/cond1.log"), with web.conf: $(tail -1 "$work/cond2.log"); $decl"
[ "$enabled" = enabled ] && [ -n "$cond" ] && [ $held != 0 ] && [ $go = 0 ] &&
	[ "$decl" = "1 good, 0 bad declarations in /etc/pcbgroup" ]
check "pcbgroupd.service: enabled, not started without a declaration, started with one"
unit_checks "$root" "$unit"
check "pcbgroupd.service: systemd-analyze verify clean, security exposure <= 3"
v1=$(in_root pcbgroupctl --version 2>&1)
v2=$(in_root pcbgroupd --version 2>&1)
[ "$v1" = "pcbgroupctl $VERSION" ] && [ "$v2" = "pcbgroupd $VERSION" ] &&
	[ "$(in_root dpkg-query -W -f '${Version}' pcbgroup)" = "$VERSION" ]
check "the packaged tools say --version $VERSION, the package's"

# The installed daemon with the unit's capabilities only (its
# CapabilityBoundingSet, no new privileges) takes two separately started
# servers' sockets into a group and steers them; the servers run as nobody,
# as a real server's workers are not root's.  On a port of its own:
# a daemon elsewhere on the host that declares echo_server on the same port
# takes sockets by process name from every namespace.
t=$root/usr/local/lib/pcbgroup-test
mkdir -p "$t/decl"
cp "$OUT/echo_server" "$OUT/loadgen" "$t/"
# (user =: a process found by name must be root's unless declared)
printf 'port = 48080\nproto = udp\nprocess = echo_server   # both\nuser = nobody\n' \
	> "$t/decl/test.conf"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$root$unit" | tr 'A-Z ' 'a-z,' | sed 's/cap_/+/g')
echo "# the unit's capabilities: $caps"
out=$(unshare --net --mount sh -c 'mount -t proc proc "$0/proc" && mount -t sysfs sysfs "$0/sys" &&
	mount -t bpf bpf "$0/sys/fs/bpf" && exec chroot "$0" sh -c "$1"' "$root" "
	cd /usr/local/lib/pcbgroup-test && ip link set lo up || exit 1
	setpriv --bounding-set=-all,$caps --inh-caps=-all --no-new-privs \
		pcbgroupd -c decl -i 100 2> daemon.log &
	d=\$!
	nobody='setpriv --reuid=65534 --regid=65534 --clear-groups'
	\$nobody ./echo_server -t udp -w 1 -b 0 -p 48080 > s0.out & s0=\$!
	\$nobody ./echo_server -t udp -w 1 -b 1 -p 48080 > s1.out & s1=\$!
	# its group, within a second (15 on a host this test shares)
	for i in \$(seq 150); do
		pcbgroupctl show 2> /dev/null | grep -q '^1 .* 2 ' && break
		sleep 0.1
	done
	./loadgen -t udp -p 48080 -n 200
	pcbgroupctl show | sed -n 2p
	kill \$d \$s0 \$s1; wait \$d
	cat daemon.log" 2>&1)
sed 's/^/#   /' <<<"$out"
# made with one socket or both, as the daemon's look fell between the binds
grep -qE '^pcbgroupd: test: group 1: udp 0.0.0.0:48080, [12] sockets$' <<<"$out" &&
	grep -q '^flows 200 answered 200 lost 0$' <<<"$out" &&
	grep -qE '^1 +udp .* 2 +hash-threshold +[0-9]+ +200 +0 +0 live +test' <<<"$out"
check "the packaged pcbgroupd, with only the unit's capabilities, steers a declared server run by nobody"

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
