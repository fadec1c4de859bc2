/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bindwatch: the cgroup socket hooks of bpf/bindwatch.bpf.c, attached at the
 * cgroup v2 root, and the ring buffer of their events.  pcbgroupd waits on
 * bindwatch_fd() and learns a socket of a declared port when it joins or
 * leaves its SO_REUSEPORT group.  Functions return 0 or -errno.
 */
#ifndef PCBG_BINDWATCH_H
#define PCBG_BINDWATCH_H

#include <sys/types.h>
#include <linux/types.h>
#include "uapi/pcbgroup.h"

struct bindwatch;
struct pcbg_group;

/*
 * Load the hooks and attach them (bpf_link: they go when the handle is
 * closed or its process exits) at the cgroup v2 hierarchy's root.  Needs
 * CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN).
 */
int bindwatch_open(struct bindwatch **bw);
void bindwatch_close(struct bindwatch *bw);
/* A descriptor that polls readable (POLLIN) when events wait. */
int bindwatch_fd(const struct bindwatch *bw);
/* Report exactly the @n ports of @keys from now on. */
int bindwatch_set_ports(struct bindwatch *bw, const struct pcbg_watch_key *keys,
			int n);
/*
 * Have the release of socket @fd (of @pid, on @port, @protocol, @family)
 * reported, as if the hooks had seen its bind: for a socket adopted that
 * was bound before them.  A socket known already is left as it is.
 */
int bindwatch_adopt(struct bindwatch *bw, int fd, pid_t pid, int port, int protocol,
		    int family);
/* Hand every waiting event to @fn, in order; returns how many, or -errno. */
int bindwatch_drain(struct bindwatch *bw,
		    void (*fn)(const struct pcbg_sock_event *e, void *arg),
		    void *arg);
/* Events sent and lost (the ring was full), summed over CPUs. */
int bindwatch_stats(const struct bindwatch *bw, __u64 stats[PCBGW_STAT_NR]);
/*
 * Count the connections of TCP group @grp's listeners (struct
 * pcbg_slot_load.conns): pcbg_group_count_conns() with the hooks' maps, for
 * the listeners of @fds; *@load_id: the group's key there.  How many
 * listeners were given their slot, or -errno.
 */
int bindwatch_count_conns(struct bindwatch *bw, struct pcbg_group *grp, const int *fds,
			  int n, __u32 *load_id);
/* Stop counting for every group but the @n of @ids; how many stopped. */
int bindwatch_keep_loads(struct bindwatch *bw, const __u32 *ids, int n);
/* The hooks' counters, in the Prometheus text format, to stdout. */
void bindwatch_print_prometheus(const struct bindwatch *bw);
/* The programs' ids, for their run-time statistics (bench/steer). */
int bindwatch_prog_ids(const struct bindwatch *bw, __u32 *ids, int max);

#endif
