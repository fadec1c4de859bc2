/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* libpcbgroup's insides, shared by its files; not installed. */
#ifndef PCBGROUP_LIB_INTERNAL_H
#define PCBGROUP_LIB_INTERNAL_H

#include "pcbgroup.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

struct pcbg_group {
	struct pcbgroup_bpf *skel;	/* NULL when opened from pins */
	int prog_fd;
	int map_fd[PCBG_M_NR];
	int ncpus;
	struct pcbg_fill *fill;	/* placements since the last publish */
	int sync_inner_fd;	/* the map put in pcbg_sync for a grace period */
	int synced;		/* this handle made the last switch and waited */
	__u32 switched_to;	/* the generation it switched to then */
	int lock_fd;		/* the pin directory, flock()ed by writers */
	int lock_depth;		/* writer calls nested in pcbg_group_lock() */
	__u32 capacity;		/* from the maps: what pcbg_group_info must say */
	__u32 maglev_size;
	int weighed;		/* the slot weighed since the last publish, or -1 */
	int diag_fd;		/* NETLINK_SOCK_DIAG kept by pcbg_group_sample_load() */
};

/* 1 and the socket's cookie if @slot holds a socket, 0 if not, or -errno. */
int pcbg_slot_cookie(const struct pcbg_group *grp, __u32 slot, __u64 *cookie);
/* pcbg_group_lock() and the info read under it; on error, not locked. */
int pcbg_group_lock_info(struct pcbg_group *grp, struct pcbg_group_info *info);
/* Forget the scan that placements share (membership.c). */
void pcbg_fill_forget(struct pcbg_group *grp);

/*
 * M for @k slots (see PCBG_MAGLEV_RATIO), at most PCBG_MAGLEV_MAX; with
 * @k the capacity, the largest M the group's map must hold.
 */
__u32 pcbg_maglev_size(__u32 k);
/* M for the next table: @m_now, the size in use, unless the slots outgrew it. */
__u32 pcbg_maglev_next_size(__u32 m_now, __u32 k);
/*
 * Fill the Maglev table @words (@m entries) for the @n members, ascending
 * slot numbers below @k, the group's slot count, given the table in use,
 * @old_words, of the same size, or NULL (see maglev.c); with a weight per
 * member, @weights[i] >= 1 for @members[i]: each member holds entries in
 * proportion to its weight, and a change of one weight moves only entries
 * to or from that member (maglev_weights.c).  @weights NULL: all alike and
 * the table in use made so.
 * @changed: the slot whose weight changed (it takes or gives what the
 * others' rounding leaves), or -1.
 */
int pcbg_maglev_build_weighted(__u64 *words, const __u64 *old_words, __u32 m,
			       __u32 k, const __u32 *members, const __u32 *weights,
			       __u32 n, int changed);
/* maglev.c's parts the weighted build shares: see there. */
int pcbg_maglev_home(__u32 *home, __u32 *cnt, __u32 m, __u32 k);
/* The slot of entry @j of a table; none (above any slot) without one. */
__u32 pcbg_maglev_entry(const __u64 *words, __u32 j);
/* @m slot numbers into 16-bit entries, four a word, as the program reads. */
void pcbg_maglev_pack(__u64 *words, const __u32 *table, __u32 m);

/*
 * weights.c.  1 if the @n weights are all the same (or @w is NULL).
 */
int pcbg_weights_uniform(const __u32 *w, __u32 n);
/*
 * What guides pcbg_weight_shares() besides the weights.
 * @have: entries each member holds in the table in use, or NULL: a member
 *	keeps what it has while that is within two entries of its exact share
 *	(without @pref_first), so that a change moves as few entries as it can.
 * @pref: with @pref_first, rounding's extra entries go first to members
 *	holding more than their floor, then by @pref[i], highest first.
 * @favour: the member (index) that takes or gives the entries others' rounding
 *	leaves, the one whose weight changed; -1 none.
 */
struct pcbg_share_hints {
	const __u32 *have;
	const __u32 *pref;
	int pref_first;
	int favour;
};

/*
 * @share[i], the entries of member i among @m (@n <= @m members, weights
 * @w[i] >= 1, or NULL: all alike) in proportion to the weights, each within
 * one entry of its exact share (two with @h->have), but that a member whose
 * exact share is below one entry gets one, from the largest shares.  @h
 * may be NULL.  0, -EINVAL or -ENOMEM.
 */
int pcbg_weight_shares(__u32 *share, const __u32 *w, __u32 n, __u32 m,
		       const struct pcbg_share_hints *h);
/* The weight table (pcbg_group_info.weighted) of @m entries: runs by share. */
int pcbg_weight_table(__u64 *words, __u32 m, const __u32 *members,
		      const __u32 *w, __u32 n);

/* ioctl(@request, @arg) on /proc/net/pcbgroup/control; 0 or -errno. */
int pcbg_control(unsigned long request, void *arg);

/*
 * Read the group's pcbg_group_info, let @edit change it with @value (or
 * refuse: its -errno), write it back, under the writer lock.
 */
int pcbg_group_edit_info(struct pcbg_group *grp,
			 int (*edit)(struct pcbg_group_info *info, __u32 value),
			 __u32 value);
/* quic.c: is @len no valid pcbg_group_info.quic_cid_len (0 is: off)? */
int pcbg_quic_cid_len_bad(__u32 len);

/* Entries of the flow table of a group of @capacity slots, by default. */
__u32 pcbg_flows_size(__u32 capacity);
/* max_entries of the group's flow table; 0 (errno set) on error. */
__u32 pcbg_flow_table_size(const struct pcbg_group *grp);
/* pcbg_group_flows(), and the age of the least recently seen entry. */
int pcbg_flows_scan(const struct pcbg_group *grp, __u32 *live, __u32 nr_slots,
		    __u64 *oldest_ns);

/* validate.c: what is pinned is checked before use (-EUCLEAN if damaged). */
struct bpf_map_info;
/* Record what is damaged (pcbg_strerror() says it); returns -EUCLEAN. */
int pcbg_damaged(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The pin name of map @map (PCBG_M_*), or of the program for -1. */
const char *pcbg_map_name(int map);
enum pcbg_entries_rule pcbg_map_rule(int map);
/* Write the config as it is (pcbg_group_set_config() without the owner check). */
int pcbg_config_write(struct pcbg_group *grp, const struct pcbg_config *cfg);
/* Map @map's type, key and value size and flags, alone; fills @info. */
int pcbg_check_map_shape(int map, int fd, struct bpf_map_info *info);
int pcbg_check_config(const struct pcbg_config *cfg);
/* knobs.c: the name of @cfg's first knob out of bounds (its value in
 * *@value if not NULL), or NULL.
 */
const char *pcbg_config_bad_knob(const struct pcbg_config *cfg, __u32 *value);
int pcbg_check_info(const struct pcbg_group *grp, const struct pcbg_group_info *info);
/* Every map and the program against each other and the group's fields. */
int pcbg_group_validate(struct pcbg_group *grp);
/* A descriptor of pin @name under @dir, of @kind; -EUCLEAN missing or not. */
int pcbg_open_pin(const char *dir, const char *name, const char *kind);

/*
 * diag.c: send @req (@len bytes: a struct nlmsghdr, whose length, type and
 * flags are filled here, then an inet_diag_req_v2 and its attributes) and
 * hand each inet_diag_msg of the dump to @fn, until it returns non-zero.
 * With @keep, the netlink socket *@keep is used (-1: one is made) and
 * kept there after a whole dump, for the next one (in the same network
 * namespace); otherwise closed.  0 or -errno.
 */
struct inet_diag_msg;
int pcbg_diag_dump(int *keep, void *req, size_t len,
		   int (*fn)(const struct inet_diag_msg *m, void *arg), void *arg);

/* pcbg_group_register() and pcbg_unpin() with pcbgroup.ko in no-map mode */
int pcbg_register_nomap(struct pcbg_group *grp, __u32 id);
__u32 pcbg_nomap_id(const char *dir);

/* "memlock:" of map @fd's fdinfo: what the kernel charges for it; 0 unknown. */
__u64 pcbg_map_memlock(int fd);

#endif
