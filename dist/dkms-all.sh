#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make install-dkms and uninstall-dkms, once the sources are in /usr/src:
#   dist/dkms-all.sh install pcbgroup/VERSION   dkms add, then build and
#                                               install for every kernel
#                                               with headers
#   dist/dkms-all.sh remove pcbgroup/VERSION    remove from every kernel
# (`dkms install` alone builds for the running kernel only.)
set -eu
cmd=${1:?usage: dkms-all.sh install|remove pcbgroup/VERSION}
mv=${2:?usage: dkms-all.sh install|remove pcbgroup/VERSION}
command -v dkms > /dev/null || { echo "dkms-all: no dkms (apt install dkms)" >&2; exit 1; }
case $cmd in
install)
	dkms status "$mv" | grep -q . || dkms add "$mv"
	built=0
	for b in /lib/modules/*/build; do
		[ -e "$b/include" ] || continue
		k=${b%/build}
		k=${k##*/}
		# 77: a kernel dkms.conf's BUILD_EXCLUSIVE_KERNEL leaves out
		dkms install "$mv" -k "$k" || [ $? = 77 ]
		built=$((built + 1))
	done
	[ $built -gt 0 ] || echo "dkms-all: no kernel headers in /lib/modules/*/build: nothing built" >&2
	;;
remove)
	! dkms status "$mv" | grep -q . || dkms remove "$mv" --all
	;;
*)
	echo "usage: dkms-all.sh install|remove pcbgroup/VERSION" >&2
	exit 2
	;;
esac
