#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The source files, one a line: those git tracks (and that exist) in a
# checkout, else those MANIFEST lists in a tarball `make dist` made.  Never
# an untracked file: what `make dist` and so `make deb` put in the package.
set -eu
cd "$(dirname "$0")/.."
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
	git ls-files | while IFS= read -r f; do [ ! -f "$f" ] || printf '%s\n' "$f"; done
elif [ -r MANIFEST ]; then
	cat MANIFEST
else
	echo "source-files: neither a git checkout nor an unpacked 'make dist' tarball" >&2
	exit 1
fi
