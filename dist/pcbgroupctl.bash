# bash completion for pcbgroupctl(8)                        -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0

# Group ids are the directories pcbgroupctl pins under /sys/fs/bpf/pcbgroup.
_pcbgroupctl_groups()
{
	local d
	for d in /sys/fs/bpf/pcbgroup/*/; do
		[[ -d $d ]] && d=${d%/} && printf '%s\n' "${d##*/}"
	done
}

_pcbgroupctl()
{
	local cur prev words cword
	_init_completion || return

	local commands='attach show set pin drain undrain rebalance detach register gc'
	local knobs='tcp_reuseport_ext udp_reuseport_ext algorithm cpu_bits
		max_group_size stats hash_fields migrate flow_table flow_timeout samples'
	local cmd i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-v) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$commands -v -h" -- "$cur"))
		return
	fi

	case $cmd in
	attach)
		case $prev in
		--pid) _pids; return ;;
		--proto) COMPREPLY=($(compgen -W 'tcp udp' -- "$cur")); return ;;
		--port | --capacity) return ;;
		esac
		COMPREPLY=($(compgen -W '--pid --port --proto --capacity -h' -- "$cur"))
		;;
	show)
		COMPREPLY=($(compgen -W "-j --cpus --samples -h $(_pcbgroupctl_groups)" -- "$cur"))
		;;
	set)
		if [[ $prev == --group ]]; then
			COMPREPLY=($(compgen -W "$(_pcbgroupctl_groups)" -- "$cur"))
			return
		fi
		case $cur in
		algorithm=*)
			COMPREPLY=($(compgen -P algorithm= -W 'hash-threshold modulo cpu maglev' \
				-- "${cur#*=}"))
			;;
		hash_fields=*)
			COMPREPLY=($(compgen -P hash_fields= -W '4tuple 2tuple' -- "${cur#*=}"))
			;;
		*=*) ;;
		*)
			COMPREPLY=($(compgen -S = -W "$knobs" -- "$cur") \
				$(compgen -W '--group -h' -- "$cur"))
			[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
			;;
		esac
		;;
	pin | drain | undrain | rebalance)
		# the GROUP is the first argument after the command
		[[ $prev == "$cmd" ]] &&
			COMPREPLY=($(compgen -W "$(_pcbgroupctl_groups)" -- "$cur"))
		;;
	detach)
		[[ $prev == detach ]] &&
			COMPREPLY=($(compgen -W "--all $(_pcbgroupctl_groups)" -- "$cur"))
		;;
	esac
} &&
	complete -F _pcbgroupctl pcbgroupctl
