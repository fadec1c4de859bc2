#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The man pages lint clean; tools/pcbgroupctl/pcbgroupctl.8 documents every command that
# `pcbgroupctl -h` lists, tools/pcbgroupd/pcbgroupd.8 every option of `pcbgroupd -h`,
# tools/lib/libpcbgroup.3 every function the library exports: code and man
# page may not drift apart.  (The knobs: selftests/knob_table.c.)
set -uo pipefail
cd "$(dirname "$0")/.."
man=tools/pcbgroupctl/pcbgroupctl.8
ctl=${OUT:-build}/pcbgroupctl
rc=0

# each page renders with no groff warning
for page in "$man" tools/pcbgroupd/pcbgroupd.8 tools/lib/libpcbgroup.3 docs/pcbgroup.7; do
	if ! out=$(groff -man -ww -z "$page" 2>&1) || [ -n "$out" ]; then
		echo "$page: groff: $out"
		rc=1
	fi
done

help=$("$ctl" -h)
# the commands: "  attach --pid ...", "  drain GROUP SLOT | undrain GROUP SLOT"
cmds=$(sed -n '/^Commands:/,/^Options:/p' <<<"$help" |
	grep -oE '^  [a-z]+|\| [a-z]+' | tr -d ' |')
for c in $cmds; do
	grep -q "^\.B pcbgroupctl $c" "$man" || { echo "$man: no synopsis of '$c'"; rc=1; }
done
[ -n "$cmds" ] || { echo "manpage: read no command"; rc=1; }

# tools/pcbgroupd/pcbgroupd.8 describes every option of `pcbgroupd -h`
dman=tools/pcbgroupd/pcbgroupd.8
dopts=$("${OUT:-build}/pcbgroupd" -h | grep -oE -- '--[a-z-]+' | sort -u)
for o in $dopts; do
	name=${o#--}
	grep -qF -- "\\-\\-${name//-/\\-}" "$dman" ||
		{ echo "$dman: option '$o' not described"; rc=1; }
done
[ -n "$dopts" ] || { echo "manpage: read no pcbgroupd option"; rc=1; }
# every short option -h lists is one getopt takes (its value may be refused)
for o in $("${OUT:-build}/pcbgroupd" -h | sed -n 's/^  -\([a-zA-Z]\), --.*/\1/p'); do
	said=$("${OUT:-build}/pcbgroupd" "-$o" 1 --check -c /nonexistent 2>&1)
	if grep -q "invalid option" <<<"$said"; then
		echo "pcbgroupd -h lists -$o, which getopt refuses"
		rc=1
	fi
done

# tools/lib/libpcbgroup.3 names every function and datum the library
# exports (tools/lib/libpcbgroup.map)
lman=tools/lib/libpcbgroup.3
syms=$(sed -n 's/^[[:space:]]*\(pcbg_[a-z0-9_]*\);$/\1/p' tools/lib/libpcbgroup.map)
for s in $syms; do
	grep -qw -- "$s" "$lman" || { echo "$lman: '$s' not described"; rc=1; }
done
[ -n "$syms" ] || { echo "manpage: read no exported symbol"; rc=1; }
exit $rc
