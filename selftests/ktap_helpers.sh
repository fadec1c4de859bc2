# SPDX-License-Identifier: GPL-2.0
# Sourced by the test scripts: numbered KTAP results, as the kernel's
# selftests/kselftest/ktap_helpers.sh prints them.  The plan comes last, as
# TAP 13 allows, since the scripts learn their number of tests as they go.
# Each result has its own "# Totals:" comment, which run_tests sums: a
# script killed half-way (a guest stopped by its timeout) keeps the results
# it printed.  The output of a script run inside another (a guest's) is
# printed indented, as KTAP nests subtests.
KTAP_TESTNO=0

# The version line now, the plan when the script exits.
ktap_begin() {
	echo "TAP version 13"
	trap ktap_finished EXIT
}

# result NAME OK [SKIP_REASON]: OK is 1 or 0
result() {
	local ok=ok pass=1 fail=0 skip=0 directive=
	KTAP_TESTNO=$((KTAP_TESTNO + 1))
	[ "$2" = 1 ] || ok="not ok" pass=0 fail=1
	[ -z "${3:-}" ] || pass=0 skip=1 directive=" # SKIP $3"
	echo "$ok $KTAP_TESTNO $1$directive"
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
}

ktap_finished() {
	echo "1..$KTAP_TESTNO"
}
