#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The bash completions (dist/pcbgroupctl.bash, dist/pcbgroupd.bash) offer
# exactly the commands and options `pcbgroupctl -h` and `pcbgroupd -h` list,
# command by command (each command's --help/-h aside): they may not drift
# apart.  (The knobs: selftests/knob_table.c.)  No root needed.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
rc=0
bc=/usr/share/bash-completion/bash_completion
[ -r "$bc" ] || { echo "completion: no $bc (apt install bash-completion)"; exit 1; }

# The words the completion FILE offers for the command line WORDS... (the
# last one the word being completed).
complete_words() {
	local file=$1
	shift
	bash -c '. "$0"; . "$1"; shift
		 COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		 "_${1##*/}" "$1" 2> /dev/null; printf "%s\n" "${COMPREPLY[@]}"' \
		"$bc" "$file" "$@" | sort -u | tr '\n' ' '
}
# The options (-x, --xyz) in the text on stdin, sorted, one blank apart.
options() { grep -oE -- '(^|[ [,])--?[a-zA-Z][a-z-]*' | tr -d ' [,' | sort -u | tr '\n' ' '; }
same() {
	[ "$2" = "$3" ] && return
	echo "$1: completion offers '$3', --help lists '$2'"
	rc=1
}

ctl_comp=dist/pcbgroupctl.bash
help=$("$OUT/pcbgroupctl" -h) || { echo "completion: $OUT/pcbgroupctl -h failed"; exit 1; }
cmds=$(sed -n '/^Commands:/,/^Options:/p' <<<"$help" |
	grep -oE '^  [a-z]+|\| [a-z]+' | tr -d ' |' | sort -u | tr '\n' ' ')
[ -n "$cmds" ] || { echo "completion: read no command"; exit 1; }
same "pcbgroupctl: commands" "$cmds" \
	"$(complete_words $ctl_comp pcbgroupctl '' | tr ' ' '\n' | grep -v '^-' | tr '\n' ' ')"
same "pcbgroupctl: options" "$(sed -n '/^Options:/,/^$/p' <<<"$help" | options)" \
	"$(complete_words $ctl_comp pcbgroupctl -)"
# The synopsis of command $1 in the help: the alternatives of its line
# ("detach GROUP | --all"), but those that are another command's ("drain
# GROUP SLOT | undrain GROUP SLOT").
synopsis() {
	local line part mine=0
	line=$(sed -n '/^Commands:/,/^Options:/p' <<<"$help" | grep -E "^  ([a-z]+ .*\| )?$1( |\$)")
	line=${line#  }
	while [ -n "$line" ]; do
		part=${line%% | *}
		[ "$part" = "$line" ] && line="" || line=${line#* | }
		case " $cmds " in
		*" ${part%% *} "*) [ "${part%% *}" = "$1" ] && mine=1 || mine=0 ;;
		esac
		[ $mine = 1 ] && echo " ${part#$1}"
	done
}
for c in $cmds; do
	want=$(synopsis "$c" | options)
	got=$(complete_words $ctl_comp pcbgroupctl "$c" - | tr ' ' '\n' |
	      grep -vxE -- '-h|--help' | tr '\n' ' ')
	same "pcbgroupctl $c: options" "$want" "$got"
done

d_help=$("$OUT/pcbgroupd" -h) || { echo "completion: $OUT/pcbgroupd -h failed"; exit 1; }
same "pcbgroupd: options" "$(sed -n '/^Options:/,$p' <<<"$d_help" | options)" \
	"$(complete_words dist/pcbgroupd.bash pcbgroupd -)"
exit $rc
