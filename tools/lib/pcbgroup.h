/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libpcbgroup: put the pcbgroup SK_REUSEPORT program on an SO_REUSEPORT
 * group a server made itself, and read its counters.  libpcbgroup(3) is the
 * manual.  Installed as <pcbgroup/pcbgroup.h> (or <pcbgroup.h> with
 * `pkg-config --cflags pcbgroup`); link with -lpcbgroup.
 *
 * Every int function returns 0 (or a non-negative value) on success and
 * -errno on failure, and the library never exits.  It prints nothing
 * itself, but libbpf, which it calls to load the program, writes its
 * warnings to stderr unless the program sets its own print function with
 * libbpf_set_print() (NULL: silent), as pcbgroupctl does.
 *
 * Privileges: making a group (maps, program) needs CAP_BPF, CAP_NET_ADMIN
 * and CAP_PERFMON (or CAP_SYS_ADMIN; or root); attaching it, only the
 * sockets.  Opening a
 * pinned group needs read and write access to its pins (root's, mode 0600)
 * and CAP_SYS_ADMIN, to check its maps are its program's; registering it
 * with pcbgroup.ko, CAP_NET_ADMIN over the sockets' network namespace.
 */
#ifndef PCBGROUP_LIB_H
#define PCBGROUP_LIB_H

#include <stddef.h>
#include "uapi/pcbgroup.h"

struct pcbg_group;

/**
 * struct pcbg_socket_desc - what pcbg_socket_describe() learns of a socket.
 */
struct pcbg_socket_desc {
	int family;		/* AF_INET, AF_INET6 */
	int type;		/* SOCK_STREAM, SOCK_DGRAM */
	int protocol;		/* IPPROTO_TCP, IPPROTO_UDP */
	int reuseport;		/* SO_REUSEPORT is set */
	int listening;		/* SO_ACCEPTCONN (TCP) */
	int incoming_cpu;	/* SO_INCOMING_CPU, -1 if unset */
	__u16 port;		/* local port, host order; 0 if unbound */
	__u8 addr[16];		/* local address, IPv4 in the first 4 bytes */
	__u64 inode;
	__u64 cookie;
};

/* Fill @desc from socket @fd.  -ENOTSOCK if @fd is not a socket. */
int pcbg_socket_describe(int fd, struct pcbg_socket_desc *desc);

/* ceil(log2(possible CPUs)): the "auto" value of cpu_bits. */
int pcbg_cpu_bits_auto(void);

/* Defaults: both switches on, hash-threshold, cpu_bits auto, stats on. */
void pcbg_config_default(struct pcbg_config *cfg);
/* Set knob @name (a sysctl name, not "samples") from @value.  -ENOENT unknown knob,
 * -EINVAL value out of range; @cfg is unchanged on error.
 */
int pcbg_config_set_knob(struct pcbg_config *cfg, const char *name,
			 const char *value);
/* The knob names, NULL-terminated, in sysctl order. */
extern const char *const pcbg_knob_names[];
/* "hash-threshold", ...; NULL for an unknown value. */
const char *pcbg_algorithm_name(__u32 algorithm);
const char *pcbg_stat_name(__u32 stat);
const char *pcbg_hash_fields_name(__u32 hash_fields);

/* Load a new group with room for @capacity sockets (0: PCBG_SLOTS_DEFAULT,
 * at most PCBG_SLOTS_LIMIT) and the default config.
 */
int pcbg_group_create(struct pcbg_group **grpp, __u32 capacity);
/*
 * The same, with a flow table of @flows entries (0: PCBG_FLOWS_PER_SLOT a
 * slot of capacity, within PCBG_FLOWS_MIN..PCBG_FLOWS_MAX; -E2BIG above).
 */
int pcbg_group_create_flows(struct pcbg_group **grpp, __u32 capacity,
			    __u32 flows);
/*
 * Open a group pinned under @dir by pcbg_group_pin().  Nothing pinned is
 * trusted: the program and every map are checked (type, key and value
 * sizes, entries against the group's capacity and CPUs, the program using
 * these very maps) and so are the group's fields, here and at every later
 * read.  -ENOENT no such directory; -EUCLEAN the group is damaged (a pin
 * missing or of the wrong kind, a field out of bounds): pcbg_strerror()
 * says what.  A damaged group can still be taken apart: pcbg_salvage_*().
 */
int pcbg_group_open_pinned(struct pcbg_group **grpp, const char *dir);
/*
 * strerror() for the library's errors; for -EUCLEAN, "damaged: WHAT" about
 * the last damage this thread met, e.g. "damaged: pcbg_cfg: value size
 * 4096, expected 32".  The text stays valid until the next call.
 */
const char *pcbg_strerror(int err);
/* Close the handle.  A group attached to sockets keeps working. */
void pcbg_group_free(struct pcbg_group *grp);

/*
 * Add socket @fd (bound with SO_REUSEPORT; TCP listening) in the first free
 * slot (one never used, or whose socket has closed: a restarted worker gets
 * its old slot and, with maglev, its old flows back),
 * with its CPU (@cpu, or -1 for none) and the pid it came from (0 if the
 * caller made it).  Returns the slot.  Errors: -ENOTSOCK not a socket,
 * -EPROTONOSUPPORT not TCP or UDP, -ENOPROTOOPT no SO_REUSEPORT,
 * -EDESTADDRREQ not bound, -ENOTCONN TCP not listening, -EXDEV another
 * address, port or protocol than the group's, -EEXIST already in this group,
 * -EBUSY in another group, -E2BIG the group is full (max_group_size or
 * capacity), -EINVAL @cpu out of range, -EAGAIN the slot was taken
 * meanwhile by another writer (try again).
 */
int pcbg_group_add_socket(struct pcbg_group *grp, int fd, int cpu, __u32 pid);
/*
 * The same, but the program sees the socket only after the next
 * pcbg_group_publish(): the way to fill a large group, publishing once.
 * Placements up to that publish share one scan of the group, so a fill is
 * O(N); a socket that dies meanwhile frees its slot only after the publish.
 */
int pcbg_group_place_socket(struct pcbg_group *grp, int fd, int cpu, __u32 pid);
/*
 * Derive the member list, the per-CPU tables and the Maglev table from the
 * slots in the generation not in use, then switch the program to it: a
 * packet sees the old membership or the new one.  One writer at a time.
 */
int pcbg_group_publish(struct pcbg_group *grp);
/*
 * Take the socket in @slot out: no new flow goes to it from the next packet
 * on, and it is free to close or join another group.  The other sockets
 * keep their slots.  -ERANGE no such slot, -ENOENT no socket in it.
 */
int pcbg_group_remove_socket(struct pcbg_group *grp, __u32 slot);
/*
 * Drain (@drain 1) the socket in @slot: no new flow goes to it, while what
 * it has (established connections, queued datagrams) stays.  @drain 0 ends
 * that.  Errors as pcbg_group_remove_socket().
 */
int pcbg_group_drain(struct pcbg_group *grp, __u32 slot, int drain);
/*
 * Weigh the socket in @slot: its share of new flows is @weight over the
 * members' sum (0..PCBG_WEIGHT_MAX; 0 takes no new flow; unweighed sockets
 * weigh PCBG_WEIGHT_DEFAULT), published as membership is.  -EINVAL
 * @weight out of range, else errors as pcbg_group_remove_socket().
 * pcbg_group_weigh_slot() writes the slot only: the next publish applies it.
 */
int pcbg_group_set_weight(struct pcbg_group *grp, __u32 slot, __u32 weight);
int pcbg_group_weigh_slot(struct pcbg_group *grp, __u32 slot, __u32 weight);
/* Attach the program to the reuseport group of socket @fd, a member. */
int pcbg_group_attach(struct pcbg_group *grp, int fd);
/* Detach whatever SK_REUSEPORT program the group of socket @fd has. */
int pcbg_detach(int fd);

/*
 * Take every socket out of the group (N becomes 0).  A socket sits in one
 * socket array at a time, and the kernel frees a detached group's maps only
 * later: this frees the sockets for another group at once.
 */
int pcbg_group_remove_sockets(struct pcbg_group *grp);

/*
 * One writer at a time: every function that changes a pinned group holds an
 * exclusive flock() on its pin directory while it writes, so writers in
 * other processes wait.  A caller that reads, decides and writes (a
 * read-modify-write over several calls) holds it across them with
 * pcbg_group_lock(); the calls inside nest.  A group not pinned yet is the
 * creator's alone.  Blocks until the lock is free.
 */
int pcbg_group_lock(struct pcbg_group *grp);
void pcbg_group_unlock(struct pcbg_group *grp);

/*
 * Pin program and maps under @dir (created), once, a group made by
 * pcbg_group_create() (-EINVAL if not); pcbg_unpin() removes them and
 * whatever else is in @dir, and @dir.
 */
int pcbg_group_pin(struct pcbg_group *grp, const char *dir);
int pcbg_unpin(const char *dir);
/*
 * Taking apart a group that pcbg_group_open_pinned() finds damaged, with
 * the group's writer lock held while each runs: the records (pid, inode,
 * cookie) of the sockets still in the group's socket array, as far as its
 * pins tell (returns how many, at most @max; 0 if nothing is known for
 * sure); and emptying its socket array, so they may join another group.
 * Maps whose pins are missing or wrong are looked for among those of the
 * group's program.
 */
int pcbg_salvage_sockets(const char *dir, struct pcbg_slot *slots, size_t max);
int pcbg_salvage_release(const char *dir);

/*
 * Register the group with pcbgroup.ko in the caller's network namespace,
 * under @id (0: the module chooses).  Returns the group id (> 0), which the
 * group keeps (pcbg_group_info.reg_id) for pcbg_unpin(); -ENOENT
 * when the module is not loaded or the group has no socket, -EEXIST when
 * the group is registered already (in any namespace), -EADDRINUSE when @id
 * is taken, -EXDEV when a socket is in another namespace, -EPERM without
 * CAP_NET_ADMIN over the namespace (include/uapi/pcbgroup.h has the rule).
 */
int pcbg_group_register(struct pcbg_group *grp, __u32 id);
/* Is pcbgroup.ko loaded (in this namespace's view)? */
int pcbg_module_loaded(void);
/*
 * pcbgroup.ko in no-map mode (include/uapi/pcbgroup.h): it holds no map and
 * pcbg_group_register() copies its knobs into the group and reports the
 * group; pcbg_unpin() unregisters it.  pcbg_module_nomap() says whether the
 * module is loaded in that mode.  pcbg_module_knobs() reads the module's
 * knobs file (from @fd, kept open to poll(); -1 opens it) into a whole
 * config: -EBADMSG when it cannot be parsed.  pcbg_group_carry_knobs()
 * writes them into the group's config, under its writer lock.
 * pcbg_group_report() hands the module what its tables show of group @id
 * (0: the module chooses); returns the id (> 0).
 */
int pcbg_module_nomap(void);
int pcbg_module_knobs(int fd, struct pcbg_config *cfg);
int pcbg_group_carry_knobs(struct pcbg_group *grp, int fd);
int pcbg_group_report(const struct pcbg_group *grp, __u32 id);

int pcbg_group_config(const struct pcbg_group *grp, struct pcbg_config *cfg);
/*
 * -EINVAL (and nothing written) when a field is out of range; -EBUSY while
 * pcbgroup.ko is loaded, whose sysctls are then the config's one writer
 * (include/uapi/pcbgroup.h).
 */
int pcbg_group_set_config(struct pcbg_group *grp,
			  const struct pcbg_config *cfg);
int pcbg_group_info(const struct pcbg_group *grp,
		    struct pcbg_group_info *info);
/* Record (1) or stop recording (0) selection samples: see pcbg_group_samples(). */
int pcbg_group_set_samples(struct pcbg_group *grp, int on);
int pcbg_group_slot(const struct pcbg_group *grp, __u32 slot,
		    struct pcbg_slot *s);
/* Is there a live socket in @slot?  1 yes, 0 no (closed or never filled). */
int pcbg_group_slot_live(const struct pcbg_group *grp, __u32 slot);
/* Selections of @slot, summed over CPUs. */
int pcbg_group_slot_selected(const struct pcbg_group *grp, __u32 slot,
			     __u64 *selected);
/*
 * The flow table: returns the flows in it; with @live, also counts in
 * @live[slot], for the first @nr_slots slots, the flows whose socket is
 * still the slot's and that have not been idle flow_timeout seconds.  A
 * draining worker is done when its slot's count is 0.
 */
int pcbg_group_flows(const struct pcbg_group *grp, __u32 *live, __u32 nr_slots);
/**
 * struct pcbg_flow_usage - a group's flow table, as pcbg_group_flow_usage()
 * found it.
 * @size: its entries (max_entries), chosen when the group was made.
 * @bytes: the memory the kernel charges for it (the map's memlock), taken
 *	at load: the table is preallocated.  0 when the kernel does not say.
 * @entries: flows in it now (with @scan).
 * @oldest_ns: how long ago its least recently seen entry had a datagram
 *	(with @scan): below flow_timeout, an eviction drops a live flow.
 */
struct pcbg_flow_usage {
	__u32 size;
	__u32 entries;
	__u64 bytes;
	__u64 oldest_ns;
};

/* Fill @u; @scan: walk the table too (a syscall or two per entry). */
int pcbg_group_flow_usage(const struct pcbg_group *grp, struct pcbg_flow_usage *u,
			  int scan);
/*
 * 1 when the table has evicted flows and even its least recently seen
 * entry is younger than flow_timeout: what it evicts now are live flows,
 * which come back as new ones and may move.  @u from a scan.
 */
int pcbg_flow_evicting_live(const struct pcbg_flow_usage *u,
			    const struct pcbg_config *cfg,
			    const __u64 stats[PCBG_STAT_NR]);
/*
 * A flow table's size, the flow_entries of pcbgroupctl attach and of
 * pcbgroupd's declarations: a decimal PCBG_FLOWS_MIN..PCBG_FLOWS_MAX.
 * 0, or -EINVAL with *@entries unchanged.
 */
int pcbg_parse_flow_entries(const char *s, __u32 *entries);
/* Counters by enum pcbg_stat, summed over CPUs. */
int pcbg_group_stats(const struct pcbg_group *grp, __u64 stats[PCBG_STAT_NR]);
/* The same counters, of one CPU (@cpu < 0: summed). */
int pcbg_group_cpu_stats(const struct pcbg_group *grp, int cpu,
			 __u64 stats[PCBG_STAT_NR]);
/* The packets of @stats left to the kernel's own pick: PCBG_STAT_FALLBACK_*. */
__u64 pcbg_fallbacks(const __u64 stats[PCBG_STAT_NR]);
/* Possible CPUs: the range of CPU numbers. */
int pcbg_group_nr_cpus(const struct pcbg_group *grp);
/* The slots in CPU @cpu's table in use; returns how many (may exceed @max). */
int pcbg_group_cpu_table(const struct pcbg_group *grp, int cpu, __u32 *slots,
			 size_t max);
/*
 * Move the socket in @slot to CPU @cpu's table (-1: to no table).  Takes
 * effect for the next packet.  -EINVAL bad CPU, -ERANGE no such slot,
 * -ENOENT no socket in it.
 */
int pcbg_group_set_cpu(struct pcbg_group *grp, __u32 slot, int cpu);
/*
 * Give every live socket without a CPU the online CPU with the fewest
 * sockets.  Returns how many sockets got a CPU.
 */
int pcbg_group_rebalance(struct pcbg_group *grp);
/*
 * Algorithm least-loaded: sample the queue of each slot's socket (one
 * sock_diag dump of the group's port) into PCBG_MAP_LOAD, the program's
 * view of the load.  Run in the group's network namespace; the handle keeps
 * its netlink socket for the next call, made in the same namespace.
 * pcbgroupd calls it every load interval.  0 or -errno.
 */
int pcbg_group_sample_load(struct pcbg_group *grp);
/*
 * Connections in service (struct pcbg_slot_load.conns), for a TCP group:
 * enter the group's load map in @loads_fd, the HASH_OF_MAPS PCBGW_MAP_LOADS
 * of a sockops program that counts (pcbgroupd's hooks, bpf/conns.h), keyed
 * by the map's id; the first time, every slot's load is reset to 0 first.
 * Then each listener of @fds that is a member gets its slot in @slot_fd, the
 * sk_storage PCBGW_MAP_SLOT, which each connection it accepts inherits.
 * *@load_id (if not NULL) gets the key, for the caller to delete it once
 * the group is gone.  Returns how many listeners got one, or -errno: -EPROTOTYPE a UDP group,
 * -EOPNOTSUPP a group made before connections were counted.  A group
 * counted so is not to be sampled: a sample writes conns back to 0.
 */
int pcbg_group_count_conns(struct pcbg_group *grp, int loads_fd, int slot_fd,
			   const int *fds, int n, __u32 *load_id);
/* The last sampled queue of @slot, and its connections. */
int pcbg_group_slot_load(const struct pcbg_group *grp, __u32 slot,
			 struct pcbg_slot_load *load);
/* Clear the per-slot and per-reason counters and the samples. */
int pcbg_group_reset_stats(struct pcbg_group *grp);
/*
 * Copy the recorded samples of every CPU, oldest first per CPU, into @out
 * (room for @max).  Returns how many were copied.
 */
int pcbg_group_samples(const struct pcbg_group *grp, struct pcbg_sample *out,
		       size_t max);

/*
 * QUIC connection-ID routing, a UDP group's own setting (not a knob): with
 * @cid_len (PCBG_QUIC_CID_MIN..PCBG_QUIC_CID_MAX; 0: off) a datagram goes
 * to the slot its QUIC destination connection ID names.  -EINVAL bad
 * length, -EPROTOTYPE a TCP group (0, off, is accepted on any group).
 */
int pcbg_group_set_quic(struct pcbg_group *grp, __u32 cid_len);
/*
 * Write into @cid a connection ID of @len octets (the group's quic_cid_len)
 * that names @slot, with a random nonce: what the server whose socket is in
 * @slot issues.  -EINVAL bad length or slot.
 */
int pcbg_quic_cid(__u32 slot, void *cid, size_t len);
/* The slot of socket @fd in the group; -ENOENT if not in it. */
int pcbg_group_socket_slot(const struct pcbg_group *grp, int fd);
/* pcbg_quic_cid() for socket @fd of the group. */
int pcbg_group_quic_cid(const struct pcbg_group *grp, int fd, void *cid,
			size_t len);

#endif /* PCBGROUP_LIB_H */
