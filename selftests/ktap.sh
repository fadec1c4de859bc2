# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest test scripts: a one-test result in the harness' form,
# with its own "# Totals:" line, so run_tests counts it like the others.
result() {
	local name=$1 ok=$2
	if [ "$ok" = 1 ]; then
		echo "ok - $name"
		echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
	else
		echo "not ok - $name"
		echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	fi
}
