// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Group membership: sockets join into free slots and keep them; leaving,
 * draining, pinning to a CPU and rebalancing change the slot records, and
 * pcbg_group_publish() derives from those records, in the generation not in use,
 * the member list, the per-CPU tables and the Maglev table, then switches
 * the program to it.  A packet sees the old membership or the new one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <bpf/bpf.h>

#include "internal.h"

/* An array map's elements are 8-byte aligned, also where they are __u32. */
#define STRIDE(i)	(2 * (size_t)(i))

struct table_view {
	void *mem;
	size_t len;
};

/* The map's elements through mmap(): @entries of 8 bytes. */
static void *map_table(struct table_view *v, int fd, size_t entries)
{
	long page = sysconf(_SC_PAGESIZE);

	v->len = (entries * sizeof(__u64) + page - 1) / page * page;
	v->mem = mmap(NULL, v->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (v->mem == MAP_FAILED) {
		v->mem = NULL;
		return NULL;
	}
	return v->mem;
}

/*
 * Return once every program run that may have read the generation number
 * before now has ended: an update of an ARRAY_OF_MAPS from user space
 * waits for an RCU grace period (maybe_wait_bpf_programs() in
 * kernel/bpf/syscall.c, since v5.1), and the program runs in an RCU
 * read-side critical section (reuseport_select_sock()).
 */
static int wait_for_readers(struct pcbg_group *grp)
{
	__u32 zero = 0;

	if (grp->sync_inner_fd < 0) {
		grp->sync_inner_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL,
						    sizeof(__u32), sizeof(__u32),
						    1, NULL);
		if (grp->sync_inner_fd < 0)
			return -errno;
	}
	if (bpf_map_update_elem(grp->map_fd[PCBG_M_SYNC], &zero,
				&grp->sync_inner_fd, BPF_ANY))
		return -errno;
	return 0;
}

static int write_info(struct pcbg_group *grp, const struct pcbg_group_info *info)
{
	__u32 zero = 0;

	return bpf_map_update_elem(grp->map_fd[PCBG_M_GROUP], &zero, info, BPF_ANY) ?
	       -errno : 0;
}

/* How many members generation @g lists, at most the capacity. */
static __u32 listed(const struct pcbg_group_info *info, __u32 g)
{
	return info->nr_members[g] <= info->capacity ? info->nr_members[g] : info->capacity;
}

/*
 * Does a socket still open leave: is one of the @n_old members of @old (a
 * generation's list, as the program reads it) live and not among the @n of
 * @list?  Both ascending.  A reader of @old can select only its members:
 * the new ones, or sockets that closed (the kernel took them out of the
 * socket array, a reader gets -ENOENT or the socket a placement put in
 * their slot since, which is the new list's).  Only a live one that
 * leaves needs the readers gone.
 */
static int live_left(struct pcbg_group *grp, const __u32 *old, __u32 n_old,
		     const __u32 *list, __u32 n)
{
	__u32 i, k = 0;

	for (i = 0; i < n_old; i++) {
		while (k < n && list[k] < old[STRIDE(i)])
			k++;
		if ((k == n || list[k] != old[STRIDE(i)]) &&
		    pcbg_group_slot_live(grp, old[STRIDE(i)]) != 0)
			return 1;
	}
	return 0;
}

/*
 * Is the generation in use already the one of members @list (@n, with their
 * CPUs @cpus), per-CPU tables included?  Then publishing it again would only
 * cost the next change a grace period.
 */
static int same_generation(const struct pcbg_group *grp, const struct pcbg_group_info *info,
			   const __u32 *members, const __u32 *cnt, const __u32 *cslots,
			   const __u32 *list, const int *cpus, __u32 n)
{
	__u32 cur = info->gen & 1, nc = grp->ncpus, *seen, i, t;
	int same = n == info->nr_members[cur];

	for (i = 0; same && i < n; i++)
		same = members[STRIDE((size_t)cur * info->capacity + i)] == list[i];
	seen = same ? calloc(nc, sizeof(*seen)) : NULL;
	for (i = 0; seen && same && i < n; i++) {
		if (cpus[i] < 0)
			continue;
		t = cur * nc + cpus[i];
		same = seen[cpus[i]] < cnt[STRIDE(t)] &&
		       cslots[STRIDE((size_t)t * info->capacity + seen[cpus[i]]++)] == list[i];
	}
	for (i = 0; seen && same && i < nc; i++)
		same = seen[i] == cnt[STRIDE(cur * nc + i)];
	free(seen);
	return same && seen;
}

/*
 * Generation @g's Maglev table and, when the members' weights differ, its
 * weight table (else its bit of info->weighted is cleared): @m entries,
 * guided by the tables in use if @same_size.
 */
static int build_tables(struct pcbg_group_info *info, __u32 g, __u64 *maglev,
			__u64 *wtable, int same_size, __u32 m, const __u32 *list,
			const __u32 *weights, __u32 n, int weighed)
{
	__u64 *old = same_size ? maglev + !g * info->maglev_stride : NULL;
	__u64 *mg = maglev + g * info->maglev_stride;
	int uniform = pcbg_weights_uniform(weights, n), was = info->weighted >> !g & 1;
	int err;

	info->weighted &= ~(1U << g);
	/* back to equal weights: the weighted way once more moves the least */
	err = pcbg_maglev_build_weighted(mg, old, m, info->nr_slots, list,
					 uniform && !was ? NULL : weights, n, weighed);
	if (err || uniform)
		return err;
	err = pcbg_weight_table(wtable + g * info->maglev_stride, m, list, weights, n);
	if (!err)
		info->weighted |= 1U << g;
	return err;
}

int pcbg_group_publish(struct pcbg_group *grp)
{
	struct table_view v[5] = {};
	__u32 *members, *cnt, *cslots, *list = NULL, g, slot, n = 0, m, m_old;
	__u32 *weights = NULL;
	__u64 *maglev, *wtable;
	__u32 nc = grp->ncpus;
	struct pcbg_group_info info;
	struct pcbg_slot s;
	int err, left, *cpus = NULL;
	__u32 i;

	err = pcbg_group_lock(grp);
	if (err)
		return err;
	pcbg_fill_forget(grp);
	err = pcbg_group_info(grp, &info);
	if (err)
		goto out;
	g = !(info.gen & 1);
	members = map_table(&v[0], grp->map_fd[PCBG_M_MEMBERS], 2 * info.capacity);
	cnt = map_table(&v[1], grp->map_fd[PCBG_M_CPU_CNT], 2 * nc);
	cslots = map_table(&v[2], grp->map_fd[PCBG_M_CPU_SLOTS], 2 * nc * info.capacity);
	maglev = map_table(&v[3], grp->map_fd[PCBG_M_MAGLEV], 2 * info.maglev_stride);
	wtable = map_table(&v[4], grp->map_fd[PCBG_M_WTABLE], 2 * info.maglev_stride);
	list = calloc(info.capacity, sizeof(*list));
	cpus = calloc(info.capacity, sizeof(*cpus));
	weights = calloc(info.capacity, sizeof(*weights));
	if (!members || !cnt || !cslots || !maglev || !wtable || !list || !cpus || !weights) {
		err = -errno ?: -ENOMEM;
		goto out;
	}
	for (slot = 0; slot < info.nr_slots; slot++) {
		err = pcbg_group_slot(grp, slot, &s);
		if (err)
			goto out;
		if (!(s.flags & PCBG_SLOT_USED) || (s.flags & PCBG_SLOT_DRAINING) ||
		    !pcbg_slot_weight(&s) || pcbg_group_slot_live(grp, slot) != 1)
			continue;
		/* a record damaged above the bound weighs the bound */
		weights[n] = pcbg_slot_weight(&s) > PCBG_WEIGHT_MAX ? PCBG_WEIGHT_MAX :
			     pcbg_slot_weight(&s);
		cpus[n] = s.cpu < 0 || (__u32)s.cpu >= nc ? -1 : s.cpu;
		list[n++] = slot;
	}
	m_old = info.maglev_size[!g];
	m = pcbg_maglev_next_size(m_old, info.nr_slots);
	/*
	 * The membership in use already (a socket's leave published before),
	 * and no weight to apply: none weighed through this handle since its
	 * last publish, none differing, none in the tables in use.
	 */
	if (m == m_old && grp->weighed < 0 && !(info.weighted >> (info.gen & 1) & 1) &&
	    pcbg_weights_uniform(weights, n) &&
	    same_generation(grp, &info, members, cnt, cslots, list, cpus, n))
		goto out;
	/*
	 * The generation written here was in use until the last switch.  If
	 * another handle made that switch, it may have died before waiting.
	 */
	/*
	 * A handle kept open between changes (pcbgroupd's) waits again when
	 * another writer switched meanwhile (two switches look like none, but
	 * that writer waited after its own unless it died right then).
	 */
	if ((!grp->synced || info.gen != grp->switched_to) &&
	    live_left(grp, members + STRIDE((size_t)g * info.capacity),
		      listed(&info, g), list, n)) {
		err = wait_for_readers(grp);
		if (err)
			goto out;
	}
	for (slot = 0; slot < nc; slot++)
		cnt[STRIDE(g * nc + slot)] = 0;
	for (i = 0; i < n; i++) {
		__u32 t = g * nc + cpus[i];

		members[STRIDE((size_t)g * info.capacity + i)] = list[i];
		if (cpus[i] < 0)
			continue;
		cslots[STRIDE((size_t)t * info.capacity + cnt[STRIDE(t)]++)] = list[i];
	}
	if (n && PCBG_MAGLEV_WORDS(m) <= info.maglev_stride) {
		/* the table in use guides the new one while M stays */
		err = build_tables(&info, g, maglev, wtable, m == m_old, m, list, weights, n,
				   grp->weighed);
		if (err)
			goto out;
		info.maglev_size[g] = m;
	}
	/* the count of the new generation first, then the switch to it */
	info.nr_members[g] = n;
	err = write_info(grp, &info);
	if (err)
		goto out;
	info.gen = g;
	grp->synced = 0;
	grp->switched_to = g;
	err = write_info(grp, &info);
	/*
	 * The old membership is gone once its readers are.  When no socket
	 * still open leaves it (a join, or members that closed), a reader of
	 * it selects nothing the caller may count on being unselected: this
	 * returns at once, and the next publish looks before it writes that
	 * generation again.
	 */
	left = !err && live_left(grp, members + STRIDE((size_t)!g * info.capacity),
				 listed(&info, !g), list, n);
	if (left)
		err = wait_for_readers(grp);
	grp->synced = !err && left;
	grp->weighed = -1;
out:
	free(list);
	free(cpus);
	free(weights);
	for (i = 0; i < ARRAY_SIZE(v); i++)
		if (v[i].mem)
			munmap(v[i].mem, v[i].len);
	pcbg_group_unlock(grp);
	return err;
}

/*
 * Placements between two publishes share one scan of the socket array, so
 * that filling a group is O(slots + sockets), not O(slots x sockets).  A
 * socket that dies meanwhile keeps its slot out of reach until the next
 * publish; a slot filled meanwhile by another writer is not overwritten
 * (BPF_NOEXIST).
 */
struct pcbg_fill {
	__u32 *empty;		/* slots below nr_slots without a socket, ascending */
	__u32 nr_empty;
	__u32 next_empty;
	__u32 live;		/* sockets in the array */
	__u64 *cookies;		/* theirs: a set, open addressing, 0 is free */
	__u32 mask;
};

static void fill_free(struct pcbg_fill *f)
{
	if (f) {
		free(f->empty);
		free(f->cookies);
		free(f);
	}
}

void pcbg_fill_forget(struct pcbg_group *grp)
{
	fill_free(grp->fill);
	grp->fill = NULL;
}

/* Adds @cookie to the set; 0 if it was there already. */
static int cookie_add(struct pcbg_fill *f, __u64 cookie)
{
	__u32 i = (__u32)(cookie * 0x9e3779b97f4a7c15ULL >> 32) & f->mask;

	for (; f->cookies[i]; i = (i + 1) & f->mask)
		if (f->cookies[i] == cookie)
			return 0;
	f->cookies[i] = cookie;
	return 1;
}

static int fill_scan(struct pcbg_group *grp, const struct pcbg_group_info *info)
{
	struct pcbg_fill *f;
	__u32 slot, size = 2;
	__u64 cookie;
	int err = 0;

	while (size < 2 * info->capacity)
		size *= 2;	/* at most half full */
	f = calloc(1, sizeof(*f));
	if (f) {
		f->empty = calloc(info->nr_slots + 1, sizeof(*f->empty));
		f->cookies = calloc(size, sizeof(*f->cookies));
	}
	if (!f || !f->empty || !f->cookies) {
		err = -ENOMEM;
		goto out;
	}
	f->mask = size - 1;
	for (slot = 0; slot < info->nr_slots; slot++) {
		err = pcbg_slot_cookie(grp, slot, &cookie);
		if (err < 0)
			goto out;
		if (err) {
			cookie_add(f, cookie);
			f->live++;
		} else {
			f->empty[f->nr_empty++] = slot;
		}
	}
	grp->fill = f;
	return 0;
out:
	fill_free(f);
	return err;
}

static int place_locked(struct pcbg_group *grp, int fd, int cpu, __u32 pid,
			const struct pcbg_socket_desc *d)
{
	__u32 slot, zero = 0;
	struct pcbg_group_info info;
	struct pcbg_config cfg;
	struct pcbg_fill *f;
	struct pcbg_slot s;
	__u64 val = fd;
	int err;

	err = pcbg_group_info(grp, &info);
	if (!err)
		err = pcbg_group_config(grp, &cfg);
	if (err)
		return err;
	if (info.nr_slots && (info.family != d->family || info.protocol != d->protocol ||
			      info.port != d->port || memcmp(info.addr, d->addr, 16)))
		return -EXDEV;
	if (!grp->fill) {
		err = fill_scan(grp, &info);
		if (err)
			return err;
	}
	f = grp->fill;
	if (!cookie_add(f, d->cookie))
		return -EEXIST;
	/* the first slot whose socket is gone is free: a restart takes it back */
	slot = f->next_empty < f->nr_empty ? f->empty[f->next_empty] : info.nr_slots;
	if (f->live >= cfg.max_group_size || slot >= info.capacity) {
		err = -E2BIG;
		goto err_forget;
	}

	/* the socket, then its record; the member list comes with publishing */
	if (bpf_map_update_elem(grp->map_fd[PCBG_M_SOCKS], &slot, &val, BPF_NOEXIST)) {
		/* taken since the scan: another writer */
		err = errno == EEXIST ? -EAGAIN : -errno;
		goto err_forget;
	}
	s = (struct pcbg_slot){
		.inode = d->inode, .cookie = d->cookie, .cpu = cpu, .pid = pid,
		.flags = PCBG_SLOT_USED,
	};
	/*
	 * The slot's counters go on from its last socket's: the group's are
	 * their sum, which must never go down (see struct pcbg_slot_count).
	 */
	if (bpf_map_update_elem(grp->map_fd[PCBG_M_SLOTS], &slot, &s, BPF_ANY)) {
		err = -errno;
		goto err_remove;
	}
	if (slot == info.nr_slots) {
		if (!info.nr_slots) {
			info.family = d->family;
			info.protocol = d->protocol;
			info.port = d->port;
			memcpy(info.addr, d->addr, 16);
		}
		info.nr_slots++;
		if (bpf_map_update_elem(grp->map_fd[PCBG_M_GROUP], &zero, &info, BPF_ANY)) {
			err = -errno;
			goto err_remove;
		}
	} else {
		f->next_empty++;
	}
	f->live++;
	return slot;

err_remove:
	bpf_map_delete_elem(grp->map_fd[PCBG_M_SOCKS], &slot);
err_forget:
	/* the cookie went into the set; the next placement scans afresh */
	pcbg_fill_forget(grp);
	return err;
}

int pcbg_group_place_socket(struct pcbg_group *grp, int fd, int cpu, __u32 pid)
{
	struct pcbg_socket_desc d;
	int err;

	if (cpu < -1 || cpu >= grp->ncpus)
		return -EINVAL;
	err = pcbg_socket_describe(fd, &d);
	if (err)
		return err;
	if ((d.family != AF_INET && d.family != AF_INET6) ||
	    (d.protocol != IPPROTO_TCP && d.protocol != IPPROTO_UDP))
		return -EPROTONOSUPPORT;
	if (!d.reuseport)
		return -ENOPROTOOPT;
	if (!d.port)
		return -EDESTADDRREQ;
	if (d.protocol == IPPROTO_TCP && !d.listening)
		return -ENOTCONN;

	err = pcbg_group_lock(grp);
	if (err)
		return err;
	err = place_locked(grp, fd, cpu, pid, &d);
	pcbg_group_unlock(grp);
	return err;
}

int pcbg_group_add_socket(struct pcbg_group *grp, int fd, int cpu, __u32 pid)
{
	int slot, err;

	err = pcbg_group_lock(grp);
	if (err)
		return err;
	slot = pcbg_group_place_socket(grp, fd, cpu, pid);
	err = slot < 0 ? slot : pcbg_group_publish(grp);
	pcbg_group_unlock(grp);
	return err ? err : slot;
}

/* The record of a slot that holds a socket of the group. */
static int used_slot(struct pcbg_group *grp, __u32 slot, struct pcbg_slot *s)
{
	struct pcbg_group_info info;
	int err;

	err = pcbg_group_info(grp, &info);
	if (err)
		return err;
	if (slot >= info.nr_slots)
		return -ERANGE;
	err = pcbg_group_slot(grp, slot, s);
	if (err)
		return err;
	return s->flags & PCBG_SLOT_USED ? 0 : -ENOENT;
}

static int write_slot(struct pcbg_group *grp, __u32 slot, const struct pcbg_slot *s)
{
	return bpf_map_update_elem(grp->map_fd[PCBG_M_SLOTS], &slot, s, BPF_ANY) ?
	       -errno : 0;
}

/*
 * Every writer below holds the group's writer lock from its first read to
 * its last write (pcbg_group_lock()).
 */
int pcbg_group_remove_sockets(struct pcbg_group *grp)
{
	struct pcbg_group_info info;
	struct pcbg_slot s;
	__u32 slot;
	int err;

	err = pcbg_group_lock_info(grp, &info);
	if (err)
		return err;
	for (slot = 0; !err && slot < info.nr_slots; slot++) {
		err = pcbg_group_slot(grp, slot, &s);
		if (!err) {
			s.flags &= ~(PCBG_SLOT_USED | PCBG_SLOT_DRAINING);
			err = write_slot(grp, slot, &s);
		}
	}
	if (!err)
		err = pcbg_group_publish(grp);
	for (slot = 0; !err && slot < info.nr_slots; slot++)
		if (bpf_map_delete_elem(grp->map_fd[PCBG_M_SOCKS], &slot) && errno != ENOENT)
			err = -errno;
	pcbg_fill_forget(grp);
	pcbg_group_unlock(grp);
	return err;
}

#define CPU_UNCHANGED	(-2)

/*
 * The record of the socket in @slot with the flags @set on and @clear off,
 * and its CPU @cpu unless CPU_UNCHANGED, written and published.
 */
static int change_slot(struct pcbg_group *grp, __u32 slot, __u32 set,
		       __u32 clear, int cpu)
{
	struct pcbg_slot s;
	int err;

	err = pcbg_group_lock(grp);
	if (err)
		return err;
	err = used_slot(grp, slot, &s);
	if (!err) {
		s.flags = (s.flags | set) & ~clear;
		if (cpu != CPU_UNCHANGED)
			s.cpu = cpu;
		err = write_slot(grp, slot, &s);
	}
	if (!err)
		err = pcbg_group_publish(grp);
	pcbg_group_unlock(grp);
	return err;
}

int pcbg_group_remove_socket(struct pcbg_group *grp, __u32 slot)
{
	int err = pcbg_group_lock(grp);

	if (err)
		return err;
	/* out of the member list first: no packet picks it any more */
	err = change_slot(grp, slot, 0, PCBG_SLOT_USED | PCBG_SLOT_DRAINING, CPU_UNCHANGED);
	if (!err && bpf_map_delete_elem(grp->map_fd[PCBG_M_SOCKS], &slot) && errno != ENOENT)
		err = -errno;
	pcbg_group_unlock(grp);
	return err;
}

int pcbg_group_drain(struct pcbg_group *grp, __u32 slot, int drain)
{
	return change_slot(grp, slot, drain ? PCBG_SLOT_DRAINING : 0,
			   drain ? 0 : PCBG_SLOT_DRAINING, CPU_UNCHANGED);
}

int pcbg_group_weigh_slot(struct pcbg_group *grp, __u32 slot, __u32 weight)
{
	struct pcbg_slot s;
	int err;

	if (weight > PCBG_WEIGHT_MAX)
		return -EINVAL;
	err = pcbg_group_lock(grp);
	if (err)
		return err;
	err = used_slot(grp, slot, &s);
	if (!err) {
		s.weight = weight;
		s.flags |= PCBG_SLOT_WEIGHT;
		err = write_slot(grp, slot, &s);
		/* it gives or takes what the others' rounding leaves */
		grp->weighed = err ? grp->weighed : (int)slot;
	}
	pcbg_group_unlock(grp);
	return err;
}

int pcbg_group_set_weight(struct pcbg_group *grp, __u32 slot, __u32 weight)
{
	int err = pcbg_group_lock(grp);

	if (err)
		return err;
	err = pcbg_group_weigh_slot(grp, slot, weight);
	if (!err)
		err = pcbg_group_publish(grp);
	pcbg_group_unlock(grp);
	return err;
}

int pcbg_group_set_cpu(struct pcbg_group *grp, __u32 slot, int cpu)
{
	if (cpu < -1 || cpu >= grp->ncpus)
		return -EINVAL;
	return change_slot(grp, slot, 0, 0, cpu);
}

/* The online CPUs, from /sys/devices/system/cpu/online ("0-3,6"). */
static int online_cpus(char *online, int ncpus)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	int a, b, k, n = 0, c;

	if (!f)
		return -errno;
	/* a CPU or a range, then a comma or the end */
	while ((k = fscanf(f, "%d-%d", &a, &b)) >= 1) {
		for (c = a; c <= (k == 2 ? b : a) && c < ncpus; c++, n++)
			online[c] = 1;
		if (fgetc(f) != ',')
			break;
	}
	fclose(f);
	return n ? n : -ENOENT;
}

int pcbg_group_rebalance(struct pcbg_group *grp)
{
	struct pcbg_group_info info;
	__u32 slot, *load = NULL;
	char *online = NULL;
	int err, moved = 0, cpu, best;
	struct pcbg_slot s;

	err = pcbg_group_lock_info(grp, &info);
	if (err)
		return err;
	load = calloc(grp->ncpus, sizeof(*load));
	online = calloc(grp->ncpus, 1);
	if (!load || !online) {
		err = -ENOMEM;
		goto out;
	}
	err = online_cpus(online, grp->ncpus);
	if (err < 0)
		goto out;
	err = 0;
	/* what each CPU has already, so the result is even overall */
	for (slot = 0; !err && slot < info.nr_slots; slot++) {
		err = pcbg_group_slot(grp, slot, &s);
		if (!err && s.cpu >= 0 && s.cpu < grp->ncpus &&
		    pcbg_group_slot_live(grp, slot) == 1)
			load[s.cpu]++;
	}
	for (slot = 0; !err && slot < info.nr_slots; slot++) {
		err = pcbg_group_slot(grp, slot, &s);
		if (err || s.cpu >= 0 || !(s.flags & PCBG_SLOT_USED) ||
		    pcbg_group_slot_live(grp, slot) != 1)
			continue;
		for (best = -1, cpu = 0; cpu < grp->ncpus; cpu++)
			if (online[cpu] && (best < 0 || load[cpu] < load[best]))
				best = cpu;
		s.cpu = best;
		load[best]++;
		err = write_slot(grp, slot, &s);
		moved++;
	}
	if (!err)
		err = pcbg_group_publish(grp);
out:
	free(load);
	free(online);
	pcbg_group_unlock(grp);
	return err ? err : moved;
}
