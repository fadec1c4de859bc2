# bash completion for pcbgroupd(8)                          -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0
#
# The options are those of `pcbgroupd -h` (checks/completion.sh).

_pcbgroupd()
{
	local cur prev words cword
	_init_completion || return

	case $prev in
	-c | --config) _filedir -d; return ;;
	-p | --prometheus) _filedir; return ;;
	-i | --interval | -l | --load-interval | -P | --prometheus-interval) return ;;
	-V | --version | -h | --help) return ;;
	--realtime) return ;;
	esac
	COMPREPLY=($(compgen -W '-c --config -i --interval -l --load-interval -p --prometheus
		-P --prometheus-interval --realtime --check -V --version -h --help' -- "$cur"))
} &&
	complete -F _pcbgroupd pcbgroupd
