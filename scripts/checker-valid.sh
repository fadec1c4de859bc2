#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's scripts/checker-valid.sh (v6.15 and later), which Debian's
# kbuild package leaves out: without it, the kernel's Makefile turns C=1
# off with a one-line message.  scripts/deps.sh installs this copy into the
# headers of the trixie root.  Prints 1 when the checker given as arguments
# (sparse and its flags) understands __typeof_unqual__, which the kernel's
# headers use; 0 otherwise.
#   checker-valid.sh CHECK [CHECKFLAGS...]
set -eu
command -v "$1" > /dev/null 2>&1 || { echo 0; exit 0; }
src=$(mktemp --suffix=.c)
trap 'rm -f "$src"' EXIT
printf 'static int u(const int *q) { __typeof_unqual__(*q) v = *q; return v; }\n' > "$src"
# sparse exits 0 even on errors: judge by what it prints
if "$@" "$src" 2>&1 | grep -q error; then
	echo 0
else
	echo 1
fi
