#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: run the bench/ programs, each in network namespaces of its own
# on loopback, write their CSV files and PNG plots into $OUT/bench/, and print
# every goal with PASS or MISS beside it.  Every timing is a ratio between
# variants measured in one interleaved run; see docs/performance.md.
#
#   rate        UDP receive path and TCP connect+accept: kernel, no-op, each algorithm
#   fairness    CV, max/mean, Jain over N sockets for F flows, against the floor
#   disruption  flows that move when a socket leaves or joins; fallbacks meanwhile
#   reweigh     flows that move when one socket's weight changes (maglev: only its own)
#   restart     UDP flows a rolling restart moves, flow_table=0 and 1
#   locality    algorithm cpu: CPU-local selections, and its cost
#   cost        ns per selection from the kernel's BPF statistics: no-op,
#               a minimal program, each algorithm, the flow table, QUIC
#               connection-ID routing
#   incoming_cpu  algorithm cpu against the kernel's SO_INCOMING_CPU walk
#   flow_scale  the flow table at 10k, 100k and 1M live flows: hits and ns per
#               datagram, the table sized for them and the default one
#   flow_layout the flow table's layouts at equal memory: LRU hash against
#               direct-mapped and 2-/4-way set-associative arrays
#   steer       pcbgroupd with real servers (echo_server, nginx, haproxy):
#               time-to-steer from the bind/listen event, fallbacks per
#               reload, the daemon's idle CPU with 100 groups
#   tail        p50/p99/p99.9 latency of blocking workers (echo_server -s) under
#               open-loop load: kernel, hash-threshold, least-loaded
#   tail_gunicorn  the same with 8 gunicorn masters of one sync worker each
#               (tail -S gunicorn)
#
# Options: --quick (fewer repetitions, for trying it out), --replot (plots
# and summary again from the CSV files of the last run), --docs (also copy
# the plots into docs/img/).  Environment: OUT (build), BENCH_ARGS_<PROG>
# (extra arguments for one program, e.g. BENCH_ARGS_RATE="-r 21", or for one
# run of it, e.g. BENCH_ARGS_TAIL_GUNICORN).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
dir=$OUT/bench
quick=0
docs=0
replot=0
for arg in "$@"; do
	case $arg in
	--quick) quick=1 ;;
	--replot) replot=1 ;;
	--docs) docs=1 ;;
	*) echo "usage: $0 [--quick] [--replot] [--docs]" >&2; exit 2 ;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (network namespaces, BPF, raw sockets)" >&2
	exit 1
fi
for p in rate fairness disruption reweigh restart locality cost incoming_cpu flow_scale flow_layout steer tail; do
	if [ ! -x "$dir/$p" ]; then
		echo "bench: $dir/$p missing; run make bench" >&2
		exit 1
	fi
done

mkdir -p "$dir"
start=$(date +%s)
[ $replot = 1 ] || rm -f "$dir"/goals.tsv "$dir"/*.png

# The program's own tables go to the terminal and to $dir/NAME.txt, its
# progress and errors to $dir/NAME.err; NAME is RUN_AS if set (a program
# run twice), else the program's.
failed=0
run() {
	local prog=$1 name=${RUN_AS:-$1} t0 var extra
	shift
	var=BENCH_ARGS_${name^^}
	extra=${!var:-}
	t0=$(date +%s)
	echo "== $name $* $extra"
	# shellcheck disable=SC2086
	if ! "$dir/$prog" -o "$dir" "$@" $extra 2> "$dir/$name.err" | tee "$dir/$name.txt"; then
		cat "$dir/$name.err" >&2
		echo "bench: $name failed" >&2
		failed=1
	fi
	echo "   ($name: $(( $(date +%s) - t0 )) s)"
	echo
}

if [ $replot = 1 ]; then
	:
elif [ $quick = 1 ]; then
	run rate -r 5 -R 16
	run fairness -d 60 -s 5
	run disruption -j 20000
	run reweigh -f 4000
	run restart -f 1024
	run locality -r 5 -R 16
	run cost -g -r 5 -R 8
	run incoming_cpu -g -r 5 -R 8
	run flow_scale -g -r 5 -R 8
	run flow_layout -r 5 -R 8
	run steer -r 8 -d 20
	run tail -r 1 -d 3
	RUN_AS=tail_gunicorn run tail -S gunicorn -r 1 -d 3
else
	run rate
	run fairness
	run disruption
	run reweigh
	run restart
	run locality
	run cost -g -r 11 -R 16
	run incoming_cpu -g -r 11 -R 32
	run flow_scale -g
	run flow_layout -r 7 -R 16
	run steer
	run tail
	RUN_AS=tail_gunicorn run tail -S gunicorn -r 5 -d 8
fi
# pcbgroup.ko loaded vs not: in a guest (the host cannot load modules), on
# the newest Debian kernel with headers; the goal is 1.00 within the noise,
# i.e. 1.00 lies between the smallest and the largest repetition.
module_ratio() {
	local k="" h ko reps=$1 t0
	for h in /usr/src/linux-headers-*-amd64; do
		[ -r "/boot/vmlinuz-${h#/usr/src/linux-headers-}" ] &&
			k=$(printf '%s\n%s\n' "$k" "${h#/usr/src/linux-headers-}" | sort -V | tail -1)
	done
	if [ -z "$k" ] || ! command -v vng > /dev/null; then
		echo "bench: no guest kernel or virtme-ng: module ratio not measured" >&2
		return
	fi
	t0=$(date +%s)
	echo "== module: pcbgroup.ko loaded vs not, $reps repetitions in a $k guest"
	OUT=$OUT scripts/build_module.sh "$k" || { failed=1; return; }
	ko=$OUT/kmod/$k/module/pcbgroup.ko
	scripts/vng.sh "$k" "cd $PWD && OUT=$OUT scripts/bench_module.sh $ko $reps" 2>&1 |
		grep '^module,' > "$dir/module.csv" || true
	local line="" ok=PASS proto stats med lo hi
	for proto in udp tcp; do
		# median, min, max of the sorted ratios
		stats=$(awk -F, -v p=$proto '$2 == p { print $4 }' "$dir/module.csv" | sort -g |
			awk '{ v[NR] = $1 } END {
				if (!NR) exit 1
				m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
				printf "%.3f %.3f %.3f\n", m, v[1], v[NR] }') || { ok=MISS; continue; }
		read -r med lo hi <<< "$stats"
		line+="$proto $med [$lo, $hi] "
		awk -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(lo <= 1 && hi >= 1) }' || ok=MISS
	done
	printf 'module\tpcbgroup.ko loaded / not, hash-threshold rate, N=16\t%s\t1.00 within noise\t%s\n' \
		"$line" "$ok" >> "$dir/goals.tsv"
	tail -1 "$dir/goals.tsv"
	echo "   (module: $(( $(date +%s) - t0 )) s)"
}

# The rate goals' room in ns per op, against what bench/minimal.bpf.c (one
# multiply-shift and the helper call) costs above the no-op: where the room
# is smaller, no program that selects a socket can meet the goal here.
rate_floor() {
	local proto room min
	for proto in udp tcp; do
		room=$(awk -F, -v p=$proto '$1 == p && $2 == 16 { print $13 / 100; exit }' "$dir/rate.csv")
		min=$(awk -F, -v p=$proto '$1 == p && $2 == 16 && $3 == "minimal" { print $7 }' "$dir/cost.csv")
		if [ -z "$room" ] || [ -z "$min" ]; then continue; fi
		printf 'rate\t%s N=16: room of the rate goal (1%% of the kernel'"'"'s ns per op) | minimal program above noop\t%.0f ns | %.0f ns\t-\tinfo\n' \
			"$proto" "$room" "$min" >> "$dir/goals.tsv"
	done
}

if [ $replot = 0 ]; then
	rate_floor
	module_ratio "$([ $quick = 1 ] && echo 3 || echo 7)"
	echo $(( $(date +%s) - start )) > "$dir/elapsed"
fi
elapsed=$(cat "$dir/elapsed" 2> /dev/null || echo "?")

# One data file per (plot, variant) for gnuplot; N is nudged a little per
# variant so that error bars which would lie on each other stay visible.
per_variant() {
	local csv=$1 out=$2 col=$3 i=0 v
	shift 3
	for v in "$@"; do
		awk -F, -v OFS=, -v v="$v" -v f="$col" -v k="$i" -v c="${N_COL:-2}" \
			'NR > 1 && $f == v { $c = $c * (1 + 0.035 * (k - 3)); print }' \
			"$csv" > "$out.$v.dat"
		i=$((i + 1))
	done
}

plots() {
	command -v gnuplot > /dev/null || { echo "bench: no gnuplot, no plots"; return; }
	local p=$dir/plot v rv="kernel-again noop hash-threshold modulo cpu maglev maglev-capN"
	mkdir -p "$p"
	for proto in udp tcp; do
		awk -F, -v p=$proto 'NR == 1 || $1 == p' "$dir/rate.csv" > "$p/rate_$proto.csv"
		# shellcheck disable=SC2086
		per_variant "$p/rate_$proto.csv" "$p/rate_$proto" 3 $rv
	done
	# shellcheck disable=SC2086
	N_COL=1 per_variant "$dir/fairness.csv" "$p/fairness" 2 kernel hash-threshold modulo cpu maglev
	# shellcheck disable=SC2086
	N_COL=1 per_variant "$dir/disruption.csv" "$p/disruption" 2 kernel hash-threshold modulo maglev

	gnuplot <<-EOF
	set terminal pngcairo size 760,420 font ",9"
	set datafile separator ","
	set key outside right top
	set grid
	set logscale x 2
	set xlabel "sockets in the group (N)"
	set xtics (2, 16, 256, 4096)
	set xrange [1.5:5500]
	rv = "$rv"

	set output "$dir/rate_udp.png"
	set title "UDP receive path: rate / kernel's pick (median, min-max over repetitions)"
	set ylabel "rate / kernel"
	plot for [v in rv] "$p/rate_udp.".v.".dat" using 2:4:5:6 with yerrorlines title v, \
		0.98 with lines dashtype 2 lc "black" title "goal 0.98"

	set output "$dir/rate_tcp.png"
	set title "TCP connect+accept+close: rate / kernel's pick (median, min-max)"
	plot for [v in rv] "$p/rate_tcp.".v.".dat" using 2:4:5:6 with yerrorlines title v, \
		0.995 with lines dashtype 2 lc "black" title "goal 0.995"

	set output "$dir/fairness.png"
	set title "Fairness: RMS of CV over the sets / floor sqrt((N-1)/F)"
	set xtics (4, 16, 64)
	set xrange [3:80]
	set ylabel "CV / floor"
	set yrange [0.7:1.3]
	plot for [v in "kernel hash-threshold modulo cpu maglev"] "$p/fairness.".v.".dat" \
		using 1:10 with linespoints title v, \
		1.1 with lines dashtype 2 lc "black" title "goal 1.1"

	set output "$dir/disruption.png"
	set multiplot layout 1,2 title "Share of flows that change socket"
	set key inside bottom left
	set logscale y
	set yrange [0.0005:1.2]
	set ylabel "share of all flows"
	set title "one socket leaves (mean, min-max over positions)"
	plot for [v in "kernel hash-threshold modulo maglev"] "$p/disruption.".v.".dat" \
		using 1:4:5:6 with yerrorlines title v, \
		(x + 1) / (3 * x) with lines dashtype 2 lc "black" title "(N+1)/3N"
	set title "one socket joins"
	plot for [v in "kernel hash-threshold modulo maglev"] "$p/disruption.".v.".dat" \
		using 1:12 with linespoints title v, \
		1.05 / (x + 1) with lines dashtype 2 lc "black" title "1.05/(N+1)"
	unset multiplot
	EOF
	rm -rf "$p"
}
plots

{
	echo "pcbgroup bench: kernel $(uname -r), $(nproc) CPUs" \
	     "($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo))," \
	     "$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	{
		printf '%s\t%s\t%s\t%s\t%s\n' area goal measured target result
		cat "$dir/goals.tsv"
	} | column -t -s $'\t'
} > "$dir/summary.txt"
pass=$(grep -c $'\tPASS$' "$dir/goals.tsv" || true)
miss=$(grep -c $'\tMISS$' "$dir/goals.tsv" || true)
echo "$pass PASS, $miss MISS; bench took ${elapsed} s; results in $dir/" >> "$dir/summary.txt"

echo "== summary (medians; details above and in $dir/*.csv)"
cat "$dir/summary.txt"

if [ $docs = 1 ]; then
	mkdir -p docs/img
	cp "$dir"/*.png docs/img/
	echo "bench: plots copied to docs/img/"
fi
exit $failed
