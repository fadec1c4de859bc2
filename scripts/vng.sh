#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the Debian kernel KVER in a virtme-ng guest and run a command in it:
#   scripts/vng.sh KVER COMMAND...
# The guest sees the host's files read-only, as root, with 4 vCPUs. No KVM
# here for ordinary guests: TCG, about 30 s to boot.
set -euo pipefail
kver=$1
shift
img=/boot/vmlinuz-$kver
[ -r "$img" ] || { echo "vng.sh: no kernel image $img" >&2; exit 1; }
command -v vng >/dev/null || { echo "vng.sh: vng missing: run scripts/deps.sh" >&2; exit 1; }
cd /
# vng wants a terminal only when it is given one; CI has none
exec vng --run "$img" --disable-kvm --cpus "${VNG_CPUS:-4}" --memory "${VNG_MEMORY:-2G}" \
	--exec "$*" < /dev/null
