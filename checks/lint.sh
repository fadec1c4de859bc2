#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch.pl --strict on every C source and header of the project, the
# script taken from Debian's linux-source package at build time.  Exit 0 when
# clean.  The ignores are for user-space code, where kernel-only advice does
# not apply; each says why.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-build}
tar=${KSRC_TAR:-/usr/src/linux-source-6.1.tar.xz}
cp="$out/checkpatch/checkpatch.pl"

if [ ! -x "$cp" ]; then
	mkdir -p "$out/checkpatch"
	tar -xJf "$tar" -C "$out/checkpatch" --strip-components=2 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
fi

# Kernel code: module/, bpf/, include/: only _Static_assert (C11, not CamelCase),
# and module/compat.h, whose purpose is to hold every LINUX_VERSION_CODE test.
kernel_files=$(ls module/*.[ch] bpf/*.[ch] include/uapi/*.h 2>/dev/null |
	grep -v 'compat.h\|uapi/pcbgroup.h' || true)
# User space (tools/, selftests/, bench/):
#  CAMELCASE               _Static_assert is C11, not CamelCase
#  EMBEDDED_FUNCTION_NAME  usage() texts name the program, not the function
#  VOLATILE                volatile sig_atomic_t is what signal handlers need
#  PREFER_DEFINED_ATTRIBUTE_MACRO  __printf() is a kernel-only macro
#  SPLIT_STRING            help texts are written a line per source line
#  BIT_MACRO               BIT() is kernel-only
#  MACRO_WITH_FLOW_CONTROL SKIP(return, ...) in test macros, as the harness does
user_ignore=CAMELCASE,EMBEDDED_FUNCTION_NAME,VOLATILE,PREFER_DEFINED_ATTRIBUTE_MACRO,SPLIT_STRING
user_ignore=$user_ignore,BIT_MACRO,MACRO_WITH_FLOW_CONTROL
user_files=$(ls tools/*/*.[ch] selftests/*.[ch] bench/*.[ch] 2>/dev/null || true)

rc=0
run() {
	local f
	for f in "${@:2}"; do
		"$cp" --strict --no-tree --quiet --show-types $1 -f "$f" || rc=1
	done
}
# shellcheck disable=SC2086
run "--ignore CAMELCASE" $kernel_files
# The knob table PCBG_KNOBS(X) is an X-macro: a list of X(...) uses, which
# no parentheses can enclose, naming X once a knob.
run "--ignore CAMELCASE,COMPLEX_MACRO,MACRO_ARG_REUSE" include/uapi/pcbgroup.h
[ -f module/compat.h ] && run "--ignore LINUX_VERSION_CODE" module/compat.h
# shellcheck disable=SC2086
run "--ignore $user_ignore" $user_files

# Licences (LICENSES/ has each text): what servers link, the library and the
# headers, is LGPL-2.1 OR BSD-2-Clause, as libbpf; the program GPL-compatible
# and BSD; every other file names its licence too.
spdx() { sed -n '1,2s/.*SPDX-License-Identifier: \(.*\)/\1/p' "$1" | sed 's| \*/$||'; }
for f in $(git ls-files '*.[ch]' '*.sh' '*.map' 'Makefile' '*.mk' 'Kbuild' 2>/dev/null); do
	case $f in
	tools/lib/* | include/*) want="LGPL-2.1 OR BSD-2-Clause" ;;
	bpf/*) want="GPL-2.0 OR BSD-2-Clause" ;;
	*) want="" ;;
	esac
	got=$(spdx "$f")
	if [ -z "$got" ] || { [ -n "$want" ] && [ "$got" != "$want" ]; }; then
		echo "$f: SPDX '${got:-none}'${want:+, expected '$want'}"
		rc=1
	fi
	for id in $(tr -s '()' ' ' <<<"$got"); do
		case $id in OR | AND | WITH) continue ;; esac
		[ -f "LICENSES/preferred/$id" ] || { echo "$f: no LICENSES/preferred/$id"; rc=1; }
	done
done
exit $rc
