#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# libpcbgroup's ABI against the list kept under test: the symbols the built
# .so exports (name@version) must be exactly those of
# debian/libpcbgroup0.symbols, which must be exactly the global list of
# tools/lib/libpcbgroup.map and the functions and data pcbgroup.h declares.
# A symbol added or removed anywhere without the others fails, naming it.
#   OUT=build checks/abi.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
so=$OUT/libpcbgroup.so
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -e "$so" ] || { echo "abi: $so missing: make lib" >&2; exit 1; }

# The exported symbols, name@version, without the version node itself.
nm -D --defined-only --with-symbol-versions "$so" |
	awk '$2 != "A" { sub(/@@/, "@", $3); print $3 }' | sort > "$tmp/exported"
# The kept list: the lines " name@version minver" of the symbols file.
awk '/^ / && $1 !~ /^LIBPCBGROUP_[0-9]+@/ { print $1 }' debian/libpcbgroup0.symbols |
	sort > "$tmp/kept"
# The map's global names, with the node's version.
awk '/^[A-Z_0-9]+ *\{/ { v = $1 } /global:/ { g = 1; next } /local:/ { g = 0 }
     g && /;/ { gsub(/[\t ;]/, ""); print $0 "@" v }' tools/lib/libpcbgroup.map |
	sort > "$tmp/map"
# What the header declares: functions (gcc -aux-info lists the prototypes of
# the file itself) and extern data.
${CC:-gcc} -Iinclude -x c -fsyntax-only -aux-info "$tmp/aux" tools/lib/pcbgroup.h
{
	grep '^/\* tools/lib/pcbgroup.h:' "$tmp/aux" | grep -oE 'pcbg_[a-z0-9_]+ \(' | tr -d ' ('
	grep -oE '^extern [^;(]*\bpcbg_[a-z0-9_]+' tools/lib/pcbgroup.h | grep -oE 'pcbg_[a-z0-9_]+$'
} | sort -u > "$tmp/header"
sed 's/@.*//' "$tmp/kept" > "$tmp/kept_names"

status=0
differ() {
	local what=$1 a=$2 b=$3
	if ! diff -u --label "$a" --label "$b" "$tmp/$a" "$tmp/$b" > "$tmp/diff"; then
		echo "abi: $what:"
		sed -n 's/^[-+][^-+]/  &/p' "$tmp/diff"
		status=1
	fi
}
differ "the .so exports other symbols than debian/libpcbgroup0.symbols (- kept, + exported)" kept exported
differ "tools/lib/libpcbgroup.map and debian/libpcbgroup0.symbols differ (- kept, + map)" kept map
differ "pcbgroup.h declares other symbols than the kept list (- kept, + header)" kept_names header
[ $status = 0 ] && echo "abi: $(wc -l < "$tmp/kept") symbols, .so, map, symbols file and header agree"
exit $status
