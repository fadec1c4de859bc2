# bash completion for pcbgroupctl(8)                        -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0
#
# The commands and options are those of `pcbgroupctl -h`, the knobs those of
# the header's table: checks/completion.sh and knob_table hold
# them to it.

# The group ids of this network namespace, as pcbgroupctl itself finds them
# (its pins are under /sys/fs/bpf/pcbgroup/netnsCOOKIE/, by the namespace's
# cookie, which only a socket tells).
_pcbgroupctl_groups()
{
	"$1" show -j 2> /dev/null | grep -o '"id":[0-9]*' | cut -d: -f2
}

_pcbgroupctl()
{
	local cur prev words cword
	_init_completion || return

	local ctl=${words[0]:-pcbgroupctl}
	local commands='attach show set pin drain undrain weight rebalance detach register gc'
	local knobs='tcp_reuseport_ext udp_reuseport_ext algorithm cpu_bits
		max_group_size stats hash_fields migrate flow_table flow_timeout samples quic_cid_len'
	local cmd i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-v | --verbose) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$commands -v --verbose -V --version -h --help" -- "$cur"))
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
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '-j --prometheus --cpus --samples -h' -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_pcbgroupctl_groups "$ctl")" -- "$cur"))
		fi
		;;
	set)
		if [[ $prev == --group ]]; then
			COMPREPLY=($(compgen -W "$(_pcbgroupctl_groups "$ctl")" -- "$cur"))
			return
		fi
		case $cur in
		algorithm=*)
			COMPREPLY=($(compgen -P algorithm= -W 'hash-threshold modulo cpu maglev least-loaded' \
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
	pin | drain | undrain | weight | rebalance)
		# the GROUP is the first argument after the command
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--help' -- "$cur"))
		elif [[ $prev == "$cmd" ]]; then
			COMPREPLY=($(compgen -W "$(_pcbgroupctl_groups "$ctl")" -- "$cur"))
		fi
		;;
	detach | register)
		[[ $prev == "$cmd" ]] &&
			COMPREPLY=($(compgen -W "--all -h $(_pcbgroupctl_groups "$ctl")" -- "$cur"))
		;;
	gc)
		[[ $prev == gc ]] && COMPREPLY=($(compgen -W '--help' -- "$cur"))
		;;
	esac
} &&
	complete -F _pcbgroupctl pcbgroupctl
