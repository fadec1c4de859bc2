#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside a virtme-ng guest: does loading pcbgroup.ko change the data plane's
# cost?  Short rate runs (each itself an interleaved kernel-vs-pcbgroup run)
# alternate between module unloaded and loaded (the order flips every
# repetition); the groups are registered with the module when it is loaded.
# For each repetition and protocol it prints
#   module,PROTO,REP,RATIO
# where RATIO = (hash-threshold / kernel) loaded / (hash-threshold / kernel)
# unloaded.  TCG timings are not absolute: only this ratio of ratios means
# something.
#   scripts/bench_module.sh KO REPS
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
ko=$1
reps=${2:-5}
tmp=$(mktemp -d)

# hash-threshold / kernel for PROTO, from a rate.csv
ratio() {
	awk -F, -v p="$1" '$1 == p && $3 == "hash-threshold" { print $4 }' "$2"
}

one() {
	local dir=$tmp/$1
	mkdir -p "$dir"
	"$OUT/bench/rate" -o "$dir" -n 16 -r 3 -R 16 > "$dir/out.txt" 2>&1
}

for rep in $(seq 1 "$reps"); do
	for state in $([ $((rep % 2)) = 1 ] && echo "off on" || echo "on off"); do
		if [ "$state" = on ]; then insmod "$ko"; fi
		one "$state$rep"
		if [ "$state" = on ]; then rmmod pcbgroup; fi
	done
	for proto in udp tcp; do
		on=$(ratio "$proto" "$tmp/on$rep/rate.csv")
		off=$(ratio "$proto" "$tmp/off$rep/rate.csv")
		awk -v p="$proto" -v r="$rep" -v a="$on" -v b="$off" \
			'BEGIN { printf "module,%s,%d,%.4f\n", p, r, a / b }'
	done
done
rm -rf "$tmp"
