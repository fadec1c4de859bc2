/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * pcbgroup: the one header shared by the SK_REUSEPORT program (bpf/), the
 * control-plane module (module/), the library and pcbgroupctl (tools/) and the
 * tests.  Nothing is re-declared elsewhere.
 *
 * Compatibility: structs only grow, at their end; readers ignore fields they
 * do not know and check sizes against the map they are handed.
 * PCBG_ABI_VERSION is bumped when the meaning of an existing field changes.
 *
 * One writer per field.  Each map below, and each field of the two
 * single-entry maps, has exactly one writer, named where it is defined:
 *
 *   map / field                 writer
 *   pcbg_cfg (struct pcbg_config)  pcbgroup.ko while the group is registered
 *                               with it, else pcbgroupctl set (the tools);
 *                               with pcbgroup.ko in no-map mode, the tools
 *                               copying /proc/net/pcbgroup/knobs, nothing else
 *   pcbg_group (pcbg_group_info)   the tools that fill the group, whole value
 *   pcbg_slots, pcbg_members,      the tools that fill the group
 *   pcbg_cpu_*, pcbg_maglev,       (a slot's weight: pcbgroupctl weight, or
 *   pcbg_socks, pcbg_sync,         pcbgroupd for the groups it serves; both
 *   pcbg_wtable                    through pcbg_group_set_weight())
 *   pcbg_slot_cnt, pcbg_stats,     the program; the tools only reset them
 *   pcbg_samples                   (pcbg_group_reset_stats(), a new slot):
 *                                  to zero, flow_new to the flows present
 *   pcbg_flows                     the program; the tools only read it
 *   pcbg_load                      queue, sampled_ns: the tools,
 *                                  pcbg_group_sample_load(), which pcbgroupd
 *                                  calls every load_interval; conns: the
 *                                  bindwatch sockops program (the tools only
 *                                  reset it, writing whole values: a sample,
 *                                  pcbg_group_count_conns())
 *   the knobs (PCBG_KNOBS)         the sysctls while pcbgroup.ko is loaded,
 *                                  else pcbgroupctl set and pcbgroupd
 *   pcbgw_ports (bindwatch)        pcbgroupd, from its declarations
 *   pcbgw_events, pcbgw_stats      the bindwatch programs; pcbgroupd only
 *                                  reads (consumes) them
 *   pcbgw_owner                    the bindwatch programs at bind; pcbgroupd
 *                                  for a socket bound before them
 *   pcbgw_loads                    pcbgroupd (pcbg_group_count_conns()):
 *                                  the pcbg_load of each TCP group it serves
 *   pcbgw_slot                     pcbgroupd, on each listener it places;
 *                                  the kernel clones it to each connection,
 *                                  whose @counted the sockops program writes
 *
 * The kernel empties a pcbg_socks slot itself when its socket closes.
 */
#ifndef _UAPI_PCBGROUP_H
#define _UAPI_PCBGROUP_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PCBG_ABI_VERSION	4

/* A group holds at most this many sockets (max_group_size's upper bound). */
#define PCBG_SLOTS_LIMIT	32768
/* Default capacity of a group's maps, and of max_group_size. */
#define PCBG_SLOTS_DEFAULT	4096
/* cpu_bits: the low hash bits ignored when picking a slot. */
#define PCBG_CPU_BITS_AUTO	(-1)
#define PCBG_CPU_BITS_MAX	16
/* Selection samples kept per CPU (a ring), for tests and "show --samples". */
#define PCBG_SAMPLES_NR		64
/*
 * Maglev table: M, a prime, the largest not above PCBG_MAGLEV_RATIO x T, T
 * the group's slots rounded up to a power of two, at least
 * PCBG_MAGLEV_MIN_SLOTS: 1,021 entries (2 KiB) up to 16 slots.  Each member
 * holds M/N +- 1 entries.  M grows (4x) only when the slots outgrow it,
 * below 32 entries a slot; that one change moves most flows, as a resize
 * does.  The map has room for the largest M of the capacity.
 */
#define PCBG_MAGLEV_RATIO	64
#define PCBG_MAGLEV_MIN_SLOTS	16
#define PCBG_MAGLEV_MAX		(1U << 20)
#define PCBG_MAGLEV_WORDS(m)	(((m) + 3) / 4)
/*
 * Flow table (flow_table=1, UDP groups): PCBG_FLOWS_PER_SLOT entries per
 * slot of capacity, at least PCBG_FLOWS_MIN, at most PCBG_FLOWS_MAX, unless
 * the creator of the group gives its own size.  The tools give a UDP group
 * PCBG_FLOWS_UDP_DEFAULT unless told (flow_entries), a TCP group
 * PCBG_FLOWS_MIN: the table is preallocated and only UDP uses it.
 */
#define PCBG_FLOWS_PER_SLOT	4
#define PCBG_FLOWS_MIN		1024
#define PCBG_FLOWS_MAX		(1U << 22)
#define PCBG_FLOWS_UDP_DEFAULT	(1U << 18)
/*
 * Free entries the kernel's LRU keeps per CPU (LOCAL_FREE_TARGET in
 * kernel/bpf/bpf_lru_list.c): a table may evict up to this many per CPU
 * before every entry is in use.
 */
#define PCBG_FLOWS_LRU_SLACK	128
/* flow_timeout, seconds */
#define PCBG_FLOW_TIMEOUT_DEFAULT	30
#define PCBG_FLOW_TIMEOUT_MAX	86400
/*
 * QUIC connection-ID routing (pcbg_group_info.quic_cid_len, UDP groups):
 * the destination connection ID of a datagram, as QUIC-LB's plaintext
 * algorithm lays it out (draft-ietf-quic-load-balancers): octet 0, config
 * rotation 0 in its top 3 bits and the CID's length - 1 in its low 5 bits;
 * octets 1 and 2, the server id, the slot of the socket that issued it, in
 * network order; the rest a nonce.  Lengths PCBG_QUIC_CID_MIN (the server
 * id and one nonce octet) to PCBG_QUIC_CID_MAX (QUIC v1's limit).
 */
#define PCBG_QUIC_CID_MIN	4
#define PCBG_QUIC_CID_MAX	20
#define PCBG_QUIC_SID_OFF	1	/* the server id's first octet in the CID */
#define PCBG_QUIC_SID_LEN	2

/*
 * Weights (struct pcbg_slot.weight): with hash-threshold, modulo and
 * maglev, a member's share of new flows is its weight over the sum of the
 * members' weights; 0 takes no new flow (as draining does, but the socket
 * stays a member for flows it already has).  A slot without
 * PCBG_SLOT_WEIGHT weighs PCBG_WEIGHT_DEFAULT, so a group nobody weighs
 * splits evenly.  Shares are whole entries of a table of M entries
 * (pcbg_group_info.maglev_size): 1/M is the resolution, and a member of
 * weight above 0 has at least one entry.  The cpu algorithm ignores
 * weights except 0; least-loaded takes its first candidate by weight, its
 * second among the members alike.
 */
#define PCBG_WEIGHT_DEFAULT	100
#define PCBG_WEIGHT_MAX		10000

/* Names shared by the program, pcbgroupctl, the module and the tests. */
#define PCBG_PROG_NAME		"pcbg_select"
#define PCBG_MAP_CFG		"pcbg_cfg"	/* struct pcbg_config, 1 entry */
#define PCBG_MAP_GROUP		"pcbg_group"	/* struct pcbg_group_info, 1 entry */
#define PCBG_MAP_SOCKS		"pcbg_socks"	/* REUSEPORT_SOCKARRAY, a slot each */
#define PCBG_MAP_SLOTS		"pcbg_slots"	/* struct pcbg_slot, a slot each */
#define PCBG_MAP_SLOT_STATS	"pcbg_slot_cnt"	/* per-CPU struct pcbg_slot_count */
#define PCBG_MAP_STATS		"pcbg_stats"	/* per-CPU __u64 by enum pcbg_stat */
#define PCBG_MAP_SAMPLES	"pcbg_samples"	/* per-CPU struct pcbg_sample ring */
#define PCBG_MAP_CPU_CNT	"pcbg_cpu_cnt"	/* __u32 slots in a CPU's table */
#define PCBG_MAP_CPU_SLOTS	"pcbg_cpu_slots" /* __u32 slot numbers, by CPU */
#define PCBG_MAP_MEMBERS	"pcbg_members"	/* __u32 slots that take new flows */
#define PCBG_MAP_MAGLEV		"pcbg_maglev"	/* __u64: 4 slots of 16 bits */
#define PCBG_MAP_SYNC		"pcbg_sync"	/* ARRAY_OF_MAPS: see pcbg_group_info.gen */
#define PCBG_MAP_FLOWS		"pcbg_flows"	/* LRU_HASH pcbg_flow_key -> pcbg_flow */
#define PCBG_MAP_LOAD		"pcbg_load"	/* struct pcbg_slot_load, a slot each */
#define PCBG_MAP_WTABLE		"pcbg_wtable"	/* __u64: 4 slots of 16 bits */
#define PCBG_PIN_ROOT		"/sys/fs/bpf/pcbgroup"
#define PCBG_PIN_PROG		"prog"		/* pin names inside <root>/<id>/ */

#define PCBG_SYSCTL_PATH	"net/pcbgroup"
#define PCBG_PROC_DIR		"pcbgroup"	/* under /proc/net */

/**
 * enum pcbg_algorithm - how a packet's hash picks a slot among N.
 * @PCBG_ALGO_HASH_THRESHOLD: RFC 2992 hash-threshold, N contiguous ranges of
 *	the hash space: slot = ((u64)(hash & ~cpu_mask) * N) >> 32.
 * @PCBG_ALGO_MODULO: modulo-N, as the BSDs do: slot = (hash >> cpu_bits) % N.
 * @PCBG_ALGO_CPU: FreeBSD's PCBGROUP: hash-threshold among the sockets of
 *	the table of the CPU running the selection; when that table is empty,
 *	hash-threshold over the whole group (counted as PCBG_STAT_CPU_MISS).
 * @PCBG_ALGO_MAGLEV: a Maglev lookup table of M = maglev_size entries (a
 *	prime, PCBG_MAGLEV_RATIO times the slots or more), rebuilt by the tools
 *	on every membership change: slot = table[((u64)(hash & ~cpu_mask) * M)
 *	>> 32].
 * @PCBG_ALGO_LEAST_LOADED: power of two choices: a first candidate by
 *	hash-threshold, a second from an independent hash of the same flow;
 *	the second wins only when its load (PCBG_MAP_LOAD: the queue the
 *	tools sample plus the connections pcbgroupd's hooks count, see
 *	struct pcbg_slot_load) is lower, so that even load picks as
 *	hash-threshold.  TCP
 *	connections, and with flow_table=1 new UDP flows; without the flow
 *	table a UDP datagram is picked by hash-threshold (no flow would stay
 *	on its socket otherwise).
 *
 * N is the number of members: the live sockets not draining, in slot order.
 */
enum pcbg_algorithm {
	PCBG_ALGO_HASH_THRESHOLD,
	PCBG_ALGO_MODULO,
	PCBG_ALGO_CPU,
	PCBG_ALGO_MAGLEV,
	PCBG_ALGO_LEAST_LOADED,
	PCBG_ALGO_NR,
};

#define PCBG_ALGO_NAMES { "hash-threshold", "modulo", "cpu", "maglev", \
			  "least-loaded" }

/**
 * enum pcbg_hash_fields - what the selection hash covers (PCBGROUP's
 * IPI_HASHFIELDS).
 * @PCBG_HASH_4TUPLE: the kernel's hash of addresses and ports.
 * @PCBG_HASH_2TUPLE: a hash of the two addresses only, computed by the
 *	program from the packet: every flow between two hosts goes to one socket.
 */
enum pcbg_hash_fields {
	PCBG_HASH_4TUPLE,
	PCBG_HASH_2TUPLE,
	PCBG_HASH_NR,
};

#define PCBG_HASH_NAMES { "4tuple", "2tuple" }

/**
 * enum pcbg_stat - the program's counters, per CPU.
 * @PCBG_STAT_SELECTED: the program picked a socket.  Not kept in
 *	PCBG_MAP_STATS: it is the sum of the slots' pcbg_slot_count.selected.
 * @PCBG_STAT_FALLBACK_OFF: tcp_reuseport_ext/udp_reuseport_ext is 0 for the
 *	packet's protocol; the kernel's own pick served.
 * @PCBG_STAT_FALLBACK_EMPTY: the slot picked holds no socket (closed, or not
 *	yet filled); the kernel's own pick served.
 * @PCBG_STAT_FALLBACK_MISS: no usable config or group map entry, no slots,
 *	or the socket in the slot belongs to another group.
 * @PCBG_STAT_CPU_LOCAL: algorithm cpu: picked from this CPU's table.  The
 *	sum of the slots' pcbg_slot_count.cpu_local, as SELECTED.
 * @PCBG_STAT_CPU_MISS: algorithm cpu: this CPU's table was empty or its
 *	socket gone; picked from the whole group instead.
 * @PCBG_STAT_REPICK: the member picked had closed before the tools took it
 *	out; the next member took the flow.
 * @PCBG_STAT_MIGRATED: a closing listener's request went to another one.
 * @PCBG_STAT_MIGRATE_REFUSED: migrate is 0: a closing listener's request
 *	was refused (SK_DROP), as without migration.
 * @PCBG_STAT_FLOW_HIT: flow_table: a datagram of a known flow went to the
 *	socket that served the flow first.  The sum of the slots'
 *	pcbg_slot_count.flow_hit, as SELECTED.
 * @PCBG_STAT_FLOW_NEW: flow_table: a flow not in the table was picked by
 *	the algorithm and entered (the misses).
 * @PCBG_STAT_FLOW_REPICK: flow_table: the socket that served a known flow
 *	is gone (closed, or its slot holds another socket): picked again.
 * @PCBG_STAT_FLOW_EXPIRED: flow_table: a known flow idle for flow_timeout
 *	seconds was picked again, as a new one.
 * @PCBG_STAT_FLOW_EVICTED: flow_table: flows the full table dropped, least
 *	recently used first.  Not counted by the program, which cannot see
 *	an eviction: the tools derive it as FLOW_NEW - the table's size
 *	(every entry the kernel allocates is a FLOW_NEW: the program rewrites
 *	a known flow's entry in place, and nothing deletes one), at least 0.
 *	That is the evictions, or fewer by at most PCBG_FLOWS_LRU_SLACK per
 *	CPU; it only grows.  pcbg_group_reset_stats() sets FLOW_NEW to the
 *	entries present, so that evictions count from 0 again.
 * @PCBG_STAT_LOAD_SECOND: algorithm least-loaded: the second candidate had
 *	the shorter queue and took the connection (or new flow).
 * @PCBG_STAT_QUIC_ROUTED: quic_cid_len: a datagram went to the slot its
 *	QUIC destination connection ID names.  The sum of the slots'
 *	pcbg_slot_count.quic_routed, as SELECTED.
 * @PCBG_STAT_QUIC_FALLBACK: quic_cid_len: a datagram whose destination
 *	connection ID names no live slot (a client's first Initial, another
 *	server's CID, a closed socket, not QUIC) was picked by the algorithm.
 *
 * Every fallback returns SK_PASS without a selection: no packet is dropped.
 * The maps are per CPU, so each CPU's own counts are its row in the cpus
 * table.  A selection costs one counter write, in its slot's
 * pcbg_slot_count; PCBG_MAP_STATS counts only the other outcomes.
 */
enum pcbg_stat {
	PCBG_STAT_SELECTED,
	PCBG_STAT_FALLBACK_OFF,
	PCBG_STAT_FALLBACK_EMPTY,
	PCBG_STAT_FALLBACK_MISS,
	PCBG_STAT_CPU_LOCAL,
	PCBG_STAT_CPU_MISS,
	PCBG_STAT_REPICK,
	PCBG_STAT_MIGRATED,
	PCBG_STAT_MIGRATE_REFUSED,
	PCBG_STAT_FLOW_HIT,
	PCBG_STAT_FLOW_NEW,
	PCBG_STAT_FLOW_REPICK,
	PCBG_STAT_FLOW_EXPIRED,
	PCBG_STAT_FLOW_EVICTED,
	PCBG_STAT_LOAD_SECOND,
	PCBG_STAT_QUIC_ROUTED,
	PCBG_STAT_QUIC_FALLBACK,
	PCBG_STAT_NR,
};

#define PCBG_STAT_NAMES { "selected", "fallback_off", "fallback_empty", \
			  "fallback_miss", "cpu_local", "cpu_miss", "repick", \
			  "migrated", "migrate_refused", "flow_hit", \
			  "flow_new", "flow_repick", "flow_expired", \
			  "flow_evicted", "load_second", "quic_routed", \
			  "quic_fallback" }

/* Kinds of knob, for PCBG_KNOBS. */
enum pcbg_knob_kind {
	PCBG_KNOB_BOOL,		/* 0 or 1 */
	PCBG_KNOB_INT,		/* a decimal number, min..max */
	PCBG_KNOB_NAME,		/* one of the names, stored as its index */
};

#define PCBG_NO_NAMES	{ 0 }

/*
 * The knobs, one line each: X(name, kind, min, max, default, names).
 * The sysctl net.pcbgroup.<name>, "pcbgroupctl set <name>=VALUE" and the
 * member <name> of struct pcbg_config are the same knob.  The module's
 * sysctls, their bounds and defaults, the library's parsing and checks and
 * pcbgroupctl's help are made from this list; selftests/knob_table.c checks
 * the docs against it.  A knob of kind PCBG_KNOB_NAME takes one of @names,
 * min is 0 and max the last index.  cpu_bits -1 is "auto": the config
 * holds the effective value, ceil(log2(possible CPUs)), at most 16.
 * Writer: see the table at the top; the config's writer copies them.
 */
#define PCBG_KNOBS(X)							\
	X(tcp_reuseport_ext, PCBG_KNOB_BOOL, 0, 1, 1, PCBG_NO_NAMES)	\
	X(udp_reuseport_ext, PCBG_KNOB_BOOL, 0, 1, 1, PCBG_NO_NAMES)	\
	X(algorithm, PCBG_KNOB_NAME, 0, PCBG_ALGO_NR - 1,		\
	  PCBG_ALGO_HASH_THRESHOLD, PCBG_ALGO_NAMES)			\
	X(cpu_bits, PCBG_KNOB_INT, PCBG_CPU_BITS_AUTO, PCBG_CPU_BITS_MAX,	\
	  PCBG_CPU_BITS_AUTO, PCBG_NO_NAMES)				\
	X(max_group_size, PCBG_KNOB_INT, 1, PCBG_SLOTS_LIMIT,		\
	  PCBG_SLOTS_DEFAULT, PCBG_NO_NAMES)				\
	X(stats, PCBG_KNOB_BOOL, 0, 1, 1, PCBG_NO_NAMES)		\
	X(hash_fields, PCBG_KNOB_NAME, 0, PCBG_HASH_NR - 1,		\
	  PCBG_HASH_4TUPLE, PCBG_HASH_NAMES)				\
	X(migrate, PCBG_KNOB_BOOL, 0, 1, 1, PCBG_NO_NAMES)		\
	X(flow_table, PCBG_KNOB_BOOL, 0, 1, 0, PCBG_NO_NAMES)		\
	X(flow_timeout, PCBG_KNOB_INT, 1, PCBG_FLOW_TIMEOUT_MAX,	\
	  PCBG_FLOW_TIMEOUT_DEFAULT, PCBG_NO_NAMES)

/**
 * struct pcbg_config - the knobs (PCBG_KNOBS), the single entry of
 * PCBG_MAP_CFG.
 * Writer: pcbgroup.ko, from the namespace's sysctls, field by field, while
 * the group is registered with it; otherwise pcbgroupctl set (the library's
 * pcbg_group_set_config()), which the tools refuse while the module is
 * loaded.  With the module in no-map mode (PCBG_PROC_KNOBS exists) the
 * tools write the whole value, as PCBG_PROC_KNOBS gives it and only so,
 * under the group's writer lock.  Read by the program for every packet.
 * @tcp_reuseport_ext: 0 lets the kernel pick for TCP, as DragonFly's switch.
 * @udp_reuseport_ext: the same for UDP.
 * @algorithm: an enum pcbg_algorithm.
 * @cpu_bits: effective number of low hash bits ignored, 0..PCBG_CPU_BITS_MAX
 *	(the writer resolves "auto").
 * @max_group_size: sockets a group may hold; more are refused by the tools.
 * @stats: 0 stops the per-slot and per-reason counters.
 * @hash_fields: an enum pcbg_hash_fields.
 * @migrate: 1: a closing TCP listener's pending connections go to another
 *	listener of the group; 0: they are refused, as without migration.
 * @flow_table: 1: a UDP group remembers each flow's socket in PCBG_MAP_FLOWS
 *	and sends the flow's datagrams there while that socket lives, draining
 *	or not; 0: every datagram is picked by the algorithm.
 * @flow_timeout: seconds, 1..PCBG_FLOW_TIMEOUT_MAX: a flow idle that long
 *	is picked again, as a new one.
 */
struct pcbg_config {
	__u32 tcp_reuseport_ext;
	__u32 udp_reuseport_ext;
	__u32 algorithm;
	__u32 cpu_bits;
	__u32 max_group_size;
	__u32 stats;
	__u32 hash_fields;
	__u32 migrate;
	__u32 flow_table;
	__u32 flow_timeout;
};

/**
 * struct pcbg_group_info - identity and membership, the single entry of
 * PCBG_MAP_GROUP.  Writer: the tools that fill the group, always as a whole
 * value (BPF_MAP_UPDATE_ELEM), one writer at a time (the library holds a
 * lock on the group while it writes).
 * @nr_slots: slots in use or used before: the high-water mark.  A socket
 *	keeps its slot while others come and go.
 * @capacity: max_entries of the per-slot maps.
 * @family: AF_INET or AF_INET6.
 * @protocol: IPPROTO_TCP or IPPROTO_UDP.
 * @port: local port, host order.
 * @__pad: zero.
 * @addr: local address; IPv4 in the first 4 bytes, network order.
 * @nr_cpus: possible CPUs, the stride of the per-CPU table maps.
 * @gen: which of the two generations of derived tables is in use (0 or 1).
 *	The tools fill the other one and then flip this, so a packet sees
 *	either the old membership or the new one, never a mix.  The program
 *	reads @gen once per packet.  After a flip the tools update
 *	PCBG_MAP_SYNC, an ARRAY_OF_MAPS, whose update returns only after an
 *	RCU grace period (the kernel's maybe_wait_bpf_programs()): every
 *	program run that may have read the old @gen has then finished, and
 *	only then is the old generation written again.
 * @nr_members: for each generation, the members: live sockets that are not
 *	draining.  PCBG_MAP_MEMBERS[g * capacity + i], i < nr_members[g].
 * @maglev_size: for each generation g, M, the entries of its Maglev
 *	table.  Entry j is bits 16 * (j % 4) and up of the __u64
 *	PCBG_MAP_MAGLEV[g * @maglev_stride + j / 4].
 * @maglev_stride: __u64 words a generation's table has room for, fixed.
 * @hash_seed: seed of the 2-tuple hash, random per group.
 * @samples: 1 records (hash, slot) samples in PCBG_MAP_SAMPLES.
 * @weighted: bit g set: the members of generation g do not all weigh the
 *	same, and hash-threshold and modulo read PCBG_MAP_WTABLE[g], laid
 *	out as the Maglev table (maglev_size[g] entries, maglev_stride), in
 *	which each member holds a run of entries in proportion to its
 *	weight, in slot order: entry ((u64)(hash & ~cpu_mask) * M) >> 32
 *	(hash-threshold) or (hash >> cpu_bits) % M (modulo).  Bit clear: the
 *	member list, as without weights.  0 in a group made before weights.
 * @quic_cid_len: 0, or a UDP group serving QUIC whose servers issue
 *	connection IDs of this length (PCBG_QUIC_CID_MIN..PCBG_QUIC_CID_MAX)
 *	carrying their slot (see PCBG_QUIC_CID_MIN): a datagram goes to the
 *	slot its destination CID names, draining or not, with no per-flow
 *	state; one naming no live slot is picked by the algorithm.  The
 *	length is that of short headers, which do not carry it.  The group's
 *	own, not a knob: the servers on one port choose their CIDs.
 * @reg_id: the id pcbgroup.ko registered the group under in its namespace
 *	(the number of its pin directory), 0 if none: written by
 *	pcbg_group_register(), read by pcbg_unpin() to unregister the group
 *	from a no-map module.  0 in a group pinned before it.
 *
 * Per-CPU tables: for generation g and CPU c, let t = g * nr_cpus + c;
 * PCBG_MAP_CPU_CNT[t] holds n, and PCBG_MAP_CPU_SLOTS[t * capacity + i],
 * i < n, the slots of the members of CPU c.
 */
struct pcbg_group_info {
	__u32 nr_slots;
	__u32 capacity;
	__u16 family;
	__u16 protocol;
	__u16 port;
	__u16 __pad;
	__u8 addr[16];
	__u32 nr_cpus;
	__u32 gen;
	__u32 nr_members[2];
	__u32 maglev_size[2];
	__u32 maglev_stride;
	__u32 hash_seed;
	__u32 samples;
	__u32 weighted;
	__u32 quic_cid_len;
	__u32 reg_id;
};

/* struct pcbg_slot.flags */
#define PCBG_SLOT_USED		(1U << 0)	/* holds a socket of the group */
#define PCBG_SLOT_DRAINING	(1U << 1)	/* takes no new flow */
#define PCBG_SLOT_WEIGHT	(1U << 2)	/* @weight holds its weight */

/**
 * struct pcbg_slot - what the tools know of the socket in one slot.
 * Writer: the tools that fill the group.
 * @inode: socket inode, as in /proc/PID/fd and ss -e.
 * @cookie: SO_COOKIE of the socket.  The program reads it (flow_table) to
 *	tell the socket that served a flow from a later one in the same slot.
 * @cpu: the socket's CPU, or -1.
 * @pid: the process the socket was adopted from, 0 if handed in directly.
 * @flags: PCBG_SLOT_*.
 * @weight: 0..PCBG_WEIGHT_MAX, the socket's weight if @flags has
 *	PCBG_SLOT_WEIGHT, else ignored (zero in a group made before weights):
 *	read it with pcbg_slot_weight().  A socket that takes the slot later
 *	starts at the default, as it starts not draining.
 */
struct pcbg_slot {
	__u64 inode;
	__u64 cookie;
	__s32 cpu;
	__u32 pid;
	__u32 flags;
	__u32 weight;
};

/* The weight of the socket in a slot (see PCBG_WEIGHT_DEFAULT). */
static inline __u32 pcbg_slot_weight(const struct pcbg_slot *s)
{
	return s->flags & PCBG_SLOT_WEIGHT ? s->weight : PCBG_WEIGHT_DEFAULT;
}

/**
 * struct pcbg_slot_count - a slot's counters on one CPU, the per-CPU value
 * of PCBG_MAP_SLOT_STATS: one cache line written per selection.  They count
 * for the slot over the group's life, whichever socket held it: a socket
 * that takes a freed slot (a restarted worker) goes on from its
 * predecessor's counts, so that the group's counters, their sums, never go
 * down (Prometheus takes a decrease for a reset).
 * Writer: the program (the tools only reset it, on pcbg_group_reset_stats()).
 * @selected: selections of the slot.
 * @cpu_local: those made from the CPU's own table (algorithm cpu).
 * @flow_hit: those made from the flow table (flow_table).
 * @quic_routed: those made by the QUIC connection ID (quic_cid_len).
 */
struct pcbg_slot_count {
	__u64 selected;
	__u64 cpu_local;
	__u64 flow_hit;
	__u64 quic_routed;
};

/**
 * struct pcbg_flow_key - a UDP flow, the key of PCBG_MAP_FLOWS.  Writer: the
 * program.
 * @saddr: source address; IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d).
 * @daddr: destination address, the same way.
 * @sport: source port, network order; 0 when hash_fields is 2tuple.
 * @dport: destination port, network order; 0 when hash_fields is 2tuple.
 */
struct pcbg_flow_key {
	__u32 saddr[4];
	__u32 daddr[4];
	__be16 sport;
	__be16 dport;
};

/**
 * struct pcbg_flow - the value of PCBG_MAP_FLOWS: where a flow goes.
 * Writer: the program.
 * @cookie: SO_COOKIE of the socket that serves the flow, as pcbg_slot.cookie
 *	had it when the flow was entered.
 * @seen: bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC, coarse) of the flow's
 *	last datagram, to PCBG_FLOW_TOUCH_NS.
 * @slot: the slot of that socket.
 * @__pad: zero.
 */
struct pcbg_flow {
	__u64 cookie;
	__u64 seen;
	__u32 slot;
	__u32 __pad;
};

/**
 * struct pcbg_slot_load - the load of the socket in one slot, the value of
 * PCBG_MAP_LOAD, read by the program for algorithm least-loaded, which
 * compares @queue + @conns: one of the two is kept, the other stays 0.  A
 * TCP group that pcbgroupd serves with its hooks counts @conns and is not
 * sampled; any other group (UDP, a TCP group without the daemon's hooks)
 * is sampled, and its @conns stays 0.  The program creates the map with
 * BPF_F_INNER_MAP and without a BTF value type, as the hooks' map of maps
 * wants it (PCBGW_MAP_LOADS); the flag is not required of a pinned map: a
 * group made before it had none, and is sampled.
 * @queue: writer: the tools (pcbg_group_sample_load(), called by pcbgroupd
 *	every load interval), from sock_diag's idiag_rqueue: a TCP listener's
 *	accept queue (connections established, not yet accepted); a UDP
 *	socket's receive queue, in bytes.  0 for an empty slot or a socket
 *	not seen.
 * @conns: writer: the bindwatch sockops program: the TCP connections the
 *	slot's listener has owned since pcbg_group_count_conns(), established
 *	(queued or accepted) and not yet closed by the server, nor reset: one
 *	more at BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB, one less when it leaves
 *	ESTABLISHED and CLOSE_WAIT (never below 0).  What HAProxy's leastconn
 *	counts: a sync worker serving a slow request has an empty accept
 *	queue but one connection.  The tools write it only as 0, in whole
 *	values (a sample, pcbg_group_count_conns()).
 * @sampled_ns: CLOCK_MONOTONIC of the sample, 0 never sampled.
 */
struct pcbg_slot_load {
	__u32 queue;
	__u32 conns;
	__u64 sampled_ns;
};

/* pcbgroupd's load interval (--load-interval), milliseconds. */
#define PCBG_LOAD_INTERVAL_MS	20

/* A flow's @seen is rewritten only when it is this much older (100 ms). */
#define PCBG_FLOW_TOUCH_NS	100000000ULL

/**
 * struct pcbg_sample - one selection, recorded when pcbg_group_info.samples
 * is 1.  Writer: the program (the tools only reset it).
 * @hash: the hash used: the kernel's (sk_reuseport_md.hash), or the 2-tuple
 *	hash when hash_fields is 2tuple.
 * @slot: the slot picked.
 * @nr_slots: N at that time.
 * @algorithm: the algorithm used.
 * @cpu_bits: the cpu_bits used.
 * @sport: the packet's source port, host order.
 * @dport: the packet's destination port, host order.
 * @cpu: the CPU that ran the selection.
 * @seq: 1 + the number of samples this CPU recorded before; 0 = unused entry.
 */
struct pcbg_sample {
	__u32 hash;
	__u32 slot;
	__u32 nr_slots;
	__u32 algorithm;
	__u32 cpu_bits;
	__u16 sport;
	__u16 dport;
	__u32 cpu;
	__u32 seq;
};

/**
 * enum pcbg_entries_rule - a map's max_entries, from the group's geometry:
 * its capacity C (PCBG_SLOTS_LIMIT at most), the possible CPUs P, and M,
 * pcbg_maglev_size(C) (the largest Maglev table of the capacity).
 * @PCBG_ENTRIES_ONE: 1.
 * @PCBG_ENTRIES_CAPACITY: C, a slot each.
 * @PCBG_ENTRIES_2_CAPACITY: 2 x C: two generations of a member list.
 * @PCBG_ENTRIES_2_CPUS: 2 x P: two generations of a value per CPU.
 * @PCBG_ENTRIES_2_CPUS_CAPACITY: 2 x P x C: two generations of a table per CPU.
 * @PCBG_ENTRIES_MAGLEV: 2 x PCBG_MAGLEV_WORDS(M).
 * @PCBG_ENTRIES_FLOWS: PCBG_FLOWS_MIN..PCBG_FLOWS_MAX, chosen at creation.
 * @PCBG_ENTRIES_STATS: PCBG_STAT_NR (the module accepts more: a newer
 *	program may count more).
 * @PCBG_ENTRIES_SAMPLES: PCBG_SAMPLES_NR + 1 (the last entry is the ring's
 *	position).
 */
enum pcbg_entries_rule {
	PCBG_ENTRIES_ONE,
	PCBG_ENTRIES_CAPACITY,
	PCBG_ENTRIES_2_CAPACITY,
	PCBG_ENTRIES_2_CPUS,
	PCBG_ENTRIES_2_CPUS_CAPACITY,
	PCBG_ENTRIES_MAGLEV,
	PCBG_ENTRIES_FLOWS,
	PCBG_ENTRIES_STATS,
	PCBG_ENTRIES_SAMPLES,
};

/*
 * The maps of a group, one line each:
 *   X(id, name, type, key, value, flags, entries, module)
 * @id names enum pcbg_map's PCBG_M_<id>; @type is BPF_MAP_TYPE_<type>; @key
 * and @value are the C types whose sizes the map has; @flags must be set;
 * @entries is the enum pcbg_entries_rule PCBG_ENTRIES_<entries>; @module is
 * 1 for the maps pcbgroup.ko holds once the group is registered (struct
 * pcbg_register, in this order, first), 0 for those only the program and
 * the pins hold.  The writer of each is in the table at the top.  The
 * library's checks of pinned maps, the module's checks of registered ones
 * and the tests' hand-made maps are made from this list; selftests/map_table
 * checks the built program's maps against it.  Sizes are the tools' and the
 * module's: the program declares its maps itself, as libbpf wants them.
 */
#define PCBG_MAPS(X)							\
	X(CFG, PCBG_MAP_CFG, ARRAY, __u32, struct pcbg_config, 0, ONE, 1)	\
	X(GROUP, PCBG_MAP_GROUP, ARRAY, __u32, struct pcbg_group_info, 0,	\
	  ONE, 1)							\
	X(SOCKS, PCBG_MAP_SOCKS, REUSEPORT_SOCKARRAY, __u32, __u64, 0,	\
	  CAPACITY, 1)							\
	X(SLOTS, PCBG_MAP_SLOTS, ARRAY, __u32, struct pcbg_slot, 0,	\
	  CAPACITY, 1)							\
	X(SLOT_CNT, PCBG_MAP_SLOT_STATS, PERCPU_ARRAY, __u32,		\
	  struct pcbg_slot_count, 0, CAPACITY, 1)			\
	X(STATS, PCBG_MAP_STATS, PERCPU_ARRAY, __u32, __u64, 0, STATS, 1)	\
	X(CPU_CNT, PCBG_MAP_CPU_CNT, ARRAY, __u32, __u32, BPF_F_MMAPABLE,	\
	  2_CPUS, 1)							\
	X(CPU_SLOTS, PCBG_MAP_CPU_SLOTS, ARRAY, __u32, __u32,		\
	  BPF_F_MMAPABLE, 2_CPUS_CAPACITY, 1)				\
	X(LOAD, PCBG_MAP_LOAD, ARRAY, __u32, struct pcbg_slot_load, 0,	\
	  CAPACITY, 1)							\
	X(SAMPLES, PCBG_MAP_SAMPLES, PERCPU_ARRAY, __u32,		\
	  struct pcbg_sample, 0, SAMPLES, 0)				\
	X(MEMBERS, PCBG_MAP_MEMBERS, ARRAY, __u32, __u32, BPF_F_MMAPABLE,	\
	  2_CAPACITY, 0)						\
	X(MAGLEV, PCBG_MAP_MAGLEV, ARRAY, __u32, __u64, BPF_F_MMAPABLE,	\
	  MAGLEV, 0)							\
	X(SYNC, PCBG_MAP_SYNC, ARRAY_OF_MAPS, __u32, __u32, 0, ONE, 0)	\
	X(FLOWS, PCBG_MAP_FLOWS, LRU_HASH, struct pcbg_flow_key,	\
	  struct pcbg_flow, 0, FLOWS, 0)				\
	X(WTABLE, PCBG_MAP_WTABLE, ARRAY, __u32, __u64, BPF_F_MMAPABLE,	\
	  MAGLEV, 0)

#define PCBG_MAP_ENUM_(id, ...)		PCBG_M_##id,
#define PCBG_MAP_HELD_(id, n, t, k, v, f, e, module)	+ (module)

/* The maps by index, in the order of PCBG_MAPS. */
enum pcbg_map {
	PCBG_MAPS(PCBG_MAP_ENUM_)
	PCBG_M_NR,
	/* the first PCBG_M_MODULE_NR are the ones pcbgroup.ko holds */
	PCBG_M_MODULE_NR = 0 PCBG_MAPS(PCBG_MAP_HELD_),
};

/*
 * max_entries of a map by @rule, for a group of @capacity on @ncpus CPUs
 * whose largest Maglev table is @maglev_size; PCBG_ENTRIES_FLOWS, a range,
 * gives its least.
 */
static inline __u64 pcbg_map_entries(enum pcbg_entries_rule rule, __u32 capacity,
				     __u32 ncpus, __u32 maglev_size)
{
	switch (rule) {
	case PCBG_ENTRIES_ONE:
		return 1;
	case PCBG_ENTRIES_CAPACITY:
		return capacity;
	case PCBG_ENTRIES_2_CAPACITY:
		return 2ULL * capacity;
	case PCBG_ENTRIES_2_CPUS:
		return 2ULL * ncpus;
	case PCBG_ENTRIES_2_CPUS_CAPACITY:
		return 2ULL * ncpus * capacity;
	case PCBG_ENTRIES_MAGLEV:
		return 2ULL * PCBG_MAGLEV_WORDS((__u64)maglev_size);
	case PCBG_ENTRIES_FLOWS:
		return PCBG_FLOWS_MIN;
	case PCBG_ENTRIES_STATS:
		return PCBG_STAT_NR;
	case PCBG_ENTRIES_SAMPLES:
		return PCBG_SAMPLES_NR + 1;
	}
	return 0;
}

/*
 * Registration with pcbgroup.ko: the tools open /proc/net/pcbgroup/control
 * (read-only: the file is 0444, the module checks capabilities itself) and
 * hand the module a group's maps with ioctl(PCBG_IOC_REGISTER).  The module
 * takes its own references, checks each map's type and sizes, writes the
 * namespace's knobs into the config at once, and returns the group id.
 *
 * The rule:
 *  - The group belongs to the network namespace of the calling process,
 *    which must be the namespace of every socket in the group's socket
 *    array (EXDEV otherwise); a group with no socket has no namespace and
 *    is refused (ENOENT).  The check is made at registration.
 *  - The caller needs CAP_NET_ADMIN over that namespace (its owning user
 *    namespace: the root of "unshare -Urn" has it), when it opens control
 *    and at each ioctl, and so does the opener of the descriptor (EPERM).
 *  - A group's maps are registered once across all namespaces: a map of a
 *    registered group, in any namespace, is refused (EEXIST).
 *  - Every map descriptor must allow reading (the tables show them to
 *    anyone) and the config's writing, and the config must not be frozen
 *    (EPERM).  A config frozen later keeps its values: the module no longer
 *    writes the knobs into it.
 * After the module is loaded again, "pcbgroupctl register --all" hands it
 * the groups pinned before; its load message says so.
 */
#define PCBG_PROC_CONTROL	"control"	/* /proc/net/pcbgroup/control */

/*
 * No-map mode: a module built without bpf_map_get() (the kernel does not
 * export it to out-of-tree modules), or loaded with maps=0, holds no map.
 * PCBG_IOC_REGISTER is refused (EOPNOTSUPP) and the tools carry both ways:
 *  - /proc/net/pcbgroup/knobs, which exists in this mode only, reads as
 *    "seq N" and then one "name value" line per sysctl, with the value as
 *    the config holds it (cpu_bits "auto" resolved): every field of struct
 *    pcbg_config.  poll() gives POLLPRI once N has changed since this open
 *    file was last read from its start.  pcbgroupd and the library's
 *    registration copy it into each group's pcbg_cfg.
 *  - PCBG_IOC_REPORT hands the module what its tables show of a group; the
 *    module keeps the last report of each group until PCBG_IOC_UNREGISTER.
 *    The caller's own word: the module cannot check it.
 */
#define PCBG_PROC_KNOBS		"knobs"		/* /proc/net/pcbgroup/knobs */

/**
 * struct pcbg_register - argument of PCBG_IOC_REGISTER.
 * @abi: PCBG_ABI_VERSION of the caller.
 * @cfg_fd: PCBG_MAP_CFG.
 * @group_fd: PCBG_MAP_GROUP.
 * @socks_fd: PCBG_MAP_SOCKS.
 * @slots_fd: PCBG_MAP_SLOTS.
 * @slot_cnt_fd: PCBG_MAP_SLOT_STATS.
 * @stats_fd: PCBG_MAP_STATS.
 * @cpu_cnt_fd: PCBG_MAP_CPU_CNT.
 * @cpu_slots_fd: PCBG_MAP_CPU_SLOTS.
 * @load_fd: PCBG_MAP_LOAD (ABI 4 on).
 *
 * Every fd is required.
 * @id: in: the id wanted (pcbgroupctl passes its pin directory's number),
 *	or 0 to let the module choose; out: the group's id in its namespace.
 * @__pad: zero.
 */
struct pcbg_register {
	__u32 abi;
	__s32 cfg_fd;
	__s32 group_fd;
	__s32 socks_fd;
	__s32 slots_fd;
	__s32 slot_cnt_fd;
	__s32 stats_fd;
	__u32 id;
	__s32 cpu_cnt_fd;
	__s32 cpu_slots_fd;
	__s32 load_fd;
	__u32 __pad[5];
};

/**
 * struct pcbg_report - argument of PCBG_IOC_REPORT (no-map mode only).
 * @abi: PCBG_ABI_VERSION of the caller.
 * @id: in: the group's id (its pin directory's number), or 0 to let the
 *	module choose; out: the group's id.  A report of a known id replaces
 *	the group's last one.
 * @live: slots holding a socket now; 0 shows the group as dead.
 * @__pad: zero.
 * @info: the group's PCBG_MAP_GROUP entry.
 * @cfg: the group's PCBG_MAP_CFG entry.
 * @stats: the counters by enum pcbg_stat, summed over the CPUs.
 */
struct pcbg_report {
	__u32 abi;
	__u32 id;
	__u32 live;
	__u32 __pad;
	struct pcbg_group_info info;
	struct pcbg_config cfg;
	__u64 stats[PCBG_STAT_NR];
};

#define PCBG_IOC_MAGIC		0xb7
/* Errors: EINVAL wrong map type or sizes or abi, EBADF bad fd, EPERM no
 * CAP_NET_ADMIN or a descriptor without the access needed, EXDEV a socket
 * of another namespace, ENOENT no socket, EEXIST maps already registered
 * (in any namespace), EADDRINUSE id taken, ENOSPC too many groups,
 * EOPNOTSUPP the module is in no-map mode (PCBG_IOC_REPORT instead).
 */
#define PCBG_IOC_REGISTER	_IOWR(PCBG_IOC_MAGIC, 1, struct pcbg_register)
/* Argument: the __u32 id.  ENOENT when no such group in the namespace. */
#define PCBG_IOC_UNREGISTER	_IOW(PCBG_IOC_MAGIC, 2, __u32)
/* No-map mode.  EINVAL wrong abi or padding, ENOSPC too many groups. */
#define PCBG_IOC_REPORT		_IOWR(PCBG_IOC_MAGIC, 3, struct pcbg_report)

/*
 * bindwatch (bpf/bindwatch.bpf.c): cgroup socket hooks that tell pcbgroupd
 * at once when a socket joins or leaves the SO_REUSEPORT group of a
 * declared port: cgroup/post_bind4 and 6 for UDP (bound is joined),
 * sockops BPF_SOCK_OPS_TCP_LISTEN_CB for TCP (listening is joined), and
 * cgroup/sock_release for both.  Only ports in PCBGW_MAP_PORTS report.
 */
#define PCBGW_MAP_PORTS		"pcbgw_ports"	/* HASH pcbg_watch_key -> __u32 */
#define PCBGW_MAP_EVENTS	"pcbgw_events"	/* RINGBUF of pcbg_sock_event */
#define PCBGW_MAP_STATS		"pcbgw_stats"	/* per-CPU __u64 by enum pcbgw_stat */
#define PCBGW_MAP_OWNER		"pcbgw_owner"	/* SK_STORAGE pcbg_watch_owner */
#define PCBGW_MAP_LOADS		"pcbgw_loads"	/* HASH_OF_MAPS map id -> pcbg_load */
#define PCBGW_MAP_SLOT		"pcbgw_slot"	/* SK_STORAGE pcbg_watch_slot, cloned */
#define PCBGW_PORTS_MAX		4096
#define PCBGW_LOADS_MAX		4096	/* groups whose connections are counted */
#define PCBGW_EVENTS_BYTES	(256 * 1024)

/**
 * struct pcbg_watch_key - a declared port, in one network namespace.
 * Writer: pcbgroupd.
 * @netns_cookie: SO_NETNS_COOKIE of the namespace.
 * @port: local port, host order.
 * @protocol: IPPROTO_TCP or IPPROTO_UDP.
 * @__pad: zero.
 */
struct pcbg_watch_key {
	__u64 netns_cookie;
	__u16 port;
	__u8 protocol;
	__u8 __pad[5];
};

/**
 * struct pcbg_watch_owner - a socket of a declared port, as the hooks keep
 * it (sk_storage of PCBGW_MAP_OWNER): who bound it and where, so that its
 * listen and its release are reported.  Writer: the hooks at bind, and
 * pcbgroupd for a socket it adopted that was bound before its hooks.
 * @cgroup_id: cgroup v2 id of the process that bound it, 0 if unknown.
 * @tgid: that process.
 * @uid: its uid.
 * @port: local port, host order.
 * @protocol: IPPROTO_TCP or IPPROTO_UDP.
 * @family: AF_INET or AF_INET6.
 */
struct pcbg_watch_owner {
	__u64 cgroup_id;
	__u32 tgid;
	__u32 uid;
	__u16 port;
	__u16 protocol;
	__u32 family;
};

/**
 * struct pcbg_watch_slot - where a TCP listener of a group stands, for the
 * count of its connections (struct pcbg_slot_load.conns): sk_storage of
 * PCBGW_MAP_SLOT, created with BPF_F_CLONE, so that each connection the
 * listener accepts carries a copy from its birth.
 * @load_id: the id of the group's PCBG_MAP_LOAD, its key in PCBGW_MAP_LOADS.
 *	Writer: pcbgroupd, when it places the listener.
 * @slot: the listener's slot.  Writer: pcbgroupd, the same.
 * @counted: a connection's copy only: 1 once it counts in @slot's conns.
 *	Writer: the sockops program.
 * @__pad: zero.
 */
struct pcbg_watch_slot {
	__u32 load_id;
	__u32 slot;
	__u32 counted;
	__u32 __pad;
};

/* struct pcbg_sock_event.kind */
enum pcbg_sock_event_kind {
	PCBG_SOCK_JOINED = 1,	/* UDP bound, TCP listening: in the group */
	PCBG_SOCK_LEFT,		/* released (its last descriptor closed) */
};

/**
 * struct pcbg_sock_event - a socket of a declared port joined or left.
 * Writer: the bindwatch programs.
 * @time_ns: bpf_ktime_get_ns() (CLOCK_MONOTONIC) in the hook, after the
 *	socket joined its SO_REUSEPORT group or before it leaves it.
 * @netns_cookie: the socket's network namespace.
 * @sock_cookie: SO_COOKIE of the socket.
 * @cgroup_id: cgroup v2 id of the process that bound it, 0 if unknown.
 * @tgid: that process, 0 if unknown (a TCP socket bound before the hooks).
 * @uid: its uid (-1 if unknown).
 * @port: local port, host order.
 * @protocol: IPPROTO_TCP or IPPROTO_UDP.
 * @family: AF_INET or AF_INET6.
 * @kind: PCBG_SOCK_JOINED or PCBG_SOCK_LEFT.
 * @__pad: zero.
 */
struct pcbg_sock_event {
	__u64 time_ns;
	__u64 netns_cookie;
	__u64 sock_cookie;
	__u64 cgroup_id;
	__u32 tgid;
	__u32 uid;
	__u16 port;
	__u8 protocol;
	__u8 family;
	__u8 kind;
	__u8 __pad[3];
};

/* pcbgw_stats: events sent, and lost because the ring was full. */
enum pcbgw_stat {
	PCBGW_STAT_EVENTS,
	PCBGW_STAT_LOST,
	PCBGW_STAT_NR,
};

#endif /* _UAPI_PCBGROUP_H */
