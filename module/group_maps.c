// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroup: a group held by its maps (maps mode, the default).
 *
 * A group is one instance of the SK_REUSEPORT program's maps, handed to the
 * module through /proc/net/pcbgroup/control (PCBG_IOC_REGISTER).  The module
 * only takes references on those maps: it never creates, fills or frees one,
 * so the program keeps steering whatever the module does, rmmod included.
 * It writes one thing, the config map, from the namespace's knobs: every
 * field of struct pcbg_config is the module's while the group is
 * registered (include/uapi/pcbgroup.h names each map's writer); it reads
 * the others for /proc/net/pcbgroup/.
 *
 * A group is dead when the module holds the only reference left on both
 * its socket array and its config map: no program uses them (a loaded
 * program holds a reference on each map it uses, and a program attached to
 * a reuseport group stays loaded), and no descriptor or bpffs pin keeps
 * them; a group still pinned or open never goes away on its own.  Its maps
 * are in the registry (registry.c), so the module's reference is the only
 * one the module holds.
 *
 * A group belongs to the namespace of its sockets: every socket in its
 * socket array must be in the caller's namespace (over which the ioctl
 * checked CAP_NET_ADMIN), and there must be one at least, else the module
 * could not tell whose knobs the group should follow.
 *
 * This mode needs bpf_map_get(); design.md says when it should go.
 */
#include <linux/bpf.h>
#include <linux/cpumask.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "pcbgroup_layout.h"

#include "compat.h"
#include "group.h"
#include "pernet.h"

/**
 * struct pcbgk_maps_group - a group in maps mode.
 * @g: the group.
 * @maps: the module's own reference on each map, indexed by enum pcbg_map
 *	(the first PCBG_M_MODULE_NR); held until the group is released.
 * @registered: @maps are in the registry.
 */
struct pcbgk_maps_group {
	struct pcbgk_group g;
	struct bpf_map *maps[PCBG_M_MODULE_NR];
	bool registered;
};

static struct bpf_map *pcbgk_map(struct pcbgk_group *g, enum pcbg_map m)
{
	return container_of(g, struct pcbgk_maps_group, g)->maps[m];
}

/**
 * struct pcbgk_map_spec - what a group's map must be, from the header's
 *	PCBG_MAPS table.
 * @type: map type.
 * @key_size: key size.
 * @value_size: value size.
 * @rule: how max_entries follows from the group's capacity.
 */
struct pcbgk_map_spec {
	enum bpf_map_type type;
	u32 key_size;
	u32 value_size;
	enum pcbg_entries_rule rule;
};

#define PCBGK_MAP_SPEC(id, name, type, key, value, flags, entries, module) \
	[PCBG_M_##id] = { BPF_MAP_TYPE_##type, sizeof(key), sizeof(value), \
			  PCBG_ENTRIES_##entries },

/*
 * The maps the module holds come first in the table, so mg->maps[] holds
 * PCBG_M_MODULE_NR of them: selftests/map_table checks the table's order.
 */
static const struct pcbgk_map_spec pcbgk_map_specs[PCBG_M_NR] = {
	PCBG_MAPS(PCBGK_MAP_SPEC)
};

/*
 * The tools size the per-CPU tables by libbpf_num_possible_cpus(), the
 * highest possible CPU + 1, which is nr_cpu_ids (num_possible_cpus() too,
 * unless the possible mask has holes), and the program indexes them by
 * bpf_get_smp_processor_id(), which is below nr_cpu_ids.  Map flags are not
 * checked, so the BPF_F_MMAPABLE that the tools give the per-CPU tables is
 * accepted; the counters may be more than the module knows of.
 */
static bool pcbgk_map_fits(const struct bpf_map *map,
			   const struct pcbgk_map_spec *spec, u32 capacity)
{
	if (map->map_type != spec->type || map->key_size != spec->key_size ||
	    map->value_size != spec->value_size)
		return false;
	if (spec->rule == PCBG_ENTRIES_STATS)
		return map->max_entries >= PCBG_STAT_NR;
	return map->max_entries == pcbg_map_entries(spec->rule, capacity,
						    nr_cpu_ids, 0);
}

/* Every map as the program defines it, and no map twice: else -EINVAL. */
static int pcbgk_maps_check(const struct pcbgk_maps_group *mg)
{
	u32 capacity = mg->maps[PCBG_M_SOCKS]->max_entries;
	int i, j;

	if (!capacity || capacity > PCBG_SLOTS_LIMIT)
		return -EINVAL;
	for (i = 0; i < PCBG_M_MODULE_NR; i++) {
		if (!pcbgk_map_fits(mg->maps[i], &pcbgk_map_specs[i], capacity))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (mg->maps[j] == mg->maps[i])
				return -EINVAL;
	}
	/* A program may have read-only (and, frozen, constant) config. */
	if (mg->maps[PCBG_M_CFG]->map_flags & BPF_F_RDONLY_PROG)
		return -EINVAL;
	return 0;
}

/*
 * The module reads every map of a group for /proc/net/pcbgroup/, which
 * anyone may read, and writes the config map, on the caller's behalf: only
 * what @fd, the descriptor @map was taken from, allows, as bpf(2) would
 * (map_get_sys_perms()), so that a write-only descriptor does not become a
 * world-readable table, nor a read-only one a writable map.
 */
static int pcbgk_fd_allows(int fd, const struct bpf_map *map, fmode_t mode)
{
	struct file *file = fget(fd);
	fmode_t allowed;
	int err = 0;

	if (!file)
		return -EBADF;
	allowed = file->f_mode & (FMODE_CAN_READ | FMODE_CAN_WRITE);
	if (READ_ONCE(map->frozen))
		allowed &= ~FMODE_CAN_WRITE;
	if (file->private_data != map)	/* @fd was replaced meanwhile */
		err = -EBADF;
	else if ((allowed & mode) != mode)
		err = -EPERM;
	fput(file);
	return err;
}

/* An element of an ARRAY or REUSEPORT_SOCKARRAY map.  Under RCU. */
static void *pcbgk_map_elem(struct bpf_map *map, u32 index)
{
	return map->ops->map_lookup_elem(map, &index);
}

/*
 * The u64 at @offset in element @index of a PERCPU_ARRAY, on possible CPU
 * @cpu, or summed over the CPUs (@cpu < 0).
 */
static u64 pcbgk_percpu_u64(struct bpf_map *map, u32 index, size_t offset,
			    int cpu)
{
	struct bpf_array *array = container_of(map, struct bpf_array, map);
	void __percpu *pptr;
	u64 sum = 0;
	int c;

	if (index >= map->max_entries)
		return 0;
	pptr = array->pptrs[index & array->index_mask];
	if (cpu >= 0)
		return READ_ONCE(*(u64 *)(per_cpu_ptr(pptr, cpu) + offset));
	for_each_possible_cpu(c)
		sum += READ_ONCE(*(u64 *)(per_cpu_ptr(pptr, c) + offset));
	return sum;
}

/*
 * A selection is counted in its slot's struct pcbg_slot_count only:
 * PCBG_STAT_SELECTED and PCBG_STAT_CPU_LOCAL are sums over the slots.
 */
static u64 pcbgk_slots_sum(struct pcbgk_group *g, size_t offset, int cpu)
{
	u32 slot, n = g->ops->nr_slots(g);
	u64 sum = 0;

	for (slot = 0; slot < n; slot++)
		sum += pcbgk_percpu_u64(pcbgk_map(g, PCBG_M_SLOT_CNT), slot, offset, cpu);
	return sum;
}

/*
 * Field by field: the program reads the config at every packet, and each
 * field it reads must be either the old value or the new one.  A config
 * map frozen after registration takes no more writes from user space, the
 * module's on its behalf included: the group keeps the config it had, and
 * the kernel log says so (rate limited).
 */
static void pcbgk_maps_write_config(struct pcbgk_group *g,
				    const struct pcbgk_knobs *k)
{
	unsigned int i;
	u32 *cfg;

	if (READ_ONCE(pcbgk_map(g, PCBG_M_CFG)->frozen)) {
		net_warn_ratelimited("group %u: config map frozen, knobs not written\n",
				     g->id);
		return;
	}
	rcu_read_lock();
	/* struct pcbg_config's fields are the knobs, in their order (pcbgroup_layout.h) */
	cfg = pcbgk_map_elem(pcbgk_map(g, PCBG_M_CFG), 0);
	for (i = 0; cfg && i < PCBG_KNOB_COUNT; i++)
		WRITE_ONCE(cfg[i], k->v[i]);
	rcu_read_unlock();
}

static bool pcbgk_maps_dead(struct pcbgk_group *g)
{
	return pcbgk_map_refcnt(pcbgk_map(g, PCBG_M_SOCKS)) == 1 &&
	       pcbgk_map_refcnt(pcbgk_map(g, PCBG_M_CFG)) == 1;
}

static void pcbgk_maps_free(struct pcbgk_group *g)
{
	struct pcbgk_maps_group *mg = container_of(g, struct pcbgk_maps_group, g);
	int i;

	if (mg->registered)
		pcbgk_registry_del(mg->maps);
	for (i = 0; i < PCBG_M_MODULE_NR; i++)
		if (mg->maps[i])
			pcbgk_bpf_map_put(mg->maps[i]);
	kfree(mg);
}

/*
 * The namespace rule: every socket in the socket array is in @net, and
 * there is one at least.  -EXDEV for a socket of another namespace,
 * -ENOENT for none.  Sockets added later are the group's writers' choice:
 * the kernel never selects a socket of another reuseport group (so of
 * another namespace) for a packet, bpf_sk_select_reuseport() refuses it.
 */
static int pcbgk_maps_check_net(const struct pcbgk_maps_group *mg,
				const struct net *net)
{
	struct bpf_map *socks = mg->maps[PCBG_M_SOCKS];
	u32 i, live = 0;
	struct sock *sk;
	int err = 0;

	rcu_read_lock();
	for (i = 0; i < socks->max_entries; i++) {
		sk = pcbgk_map_elem(socks, i);
		if (!sk)
			continue;
		if (!net_eq(sock_net(sk), net)) {
			err = -EXDEV;
			break;
		}
		live++;
	}
	rcu_read_unlock();
	if (!err && !live)
		err = -ENOENT;
	return err;
}

/* A copy of the single entry of map @m of @g, @size bytes; zeroed if none. */
static void pcbgk_map_copy(struct pcbgk_group *g, enum pcbg_map m, void *dst,
			   size_t size)
{
	const void *v;

	rcu_read_lock();
	v = pcbgk_map_elem(pcbgk_map(g, m), 0);
	if (v)
		memcpy(dst, v, size);
	else
		memset(dst, 0, size);
	rcu_read_unlock();
}

static void pcbgk_maps_info(struct pcbgk_group *g, struct pcbg_group_info *info)
{
	pcbgk_map_copy(g, PCBG_M_GROUP, info, sizeof(*info));
}

static void pcbgk_maps_config(struct pcbgk_group *g, struct pcbg_config *cfg)
{
	pcbgk_map_copy(g, PCBG_M_CFG, cfg, sizeof(*cfg));
}

/**
 * pcbgk_maps_nr_slots() - the slots the program spreads packets over.
 * @g: the group.
 *
 * Return: pcbg_group_info.nr_slots, at most the socket array's capacity.
 */
static u32 pcbgk_maps_nr_slots(struct pcbgk_group *g)
{
	struct pcbg_group_info info;

	pcbgk_maps_info(g, &info);
	return min(info.nr_slots, pcbgk_map(g, PCBG_M_SOCKS)->max_entries);
}

/**
 * pcbgk_maps_live_sockets() - slots holding a socket now.
 * @g: the group.
 *
 * Counts the sockets in the socket array itself (the kernel empties a slot
 * when its socket closes), not PCBG_SLOT_USED, which the tools set.
 *
 * Return: the number of slots among the first nr_slots holding a socket.
 */
static u32 pcbgk_maps_live_sockets(struct pcbgk_group *g)
{
	struct bpf_map *socks = pcbgk_map(g, PCBG_M_SOCKS);
	u32 i, n = pcbgk_maps_nr_slots(g), live = 0;

	rcu_read_lock();
	for (i = 0; i < n; i++)
		live += !!pcbgk_map_elem(socks, i);
	rcu_read_unlock();
	return live;
}

/**
 * pcbgk_maps_stat() - one of the program's counters, summed over the CPUs.
 * @g: the group.
 * @stat: the counter.
 *
 * Return: the sum.
 */
static u64 pcbgk_maps_stat(struct pcbgk_group *g, enum pcbg_stat stat)
{
	switch (stat) {
	case PCBG_STAT_SELECTED:
		return pcbgk_slots_sum(g, offsetof(struct pcbg_slot_count, selected), -1);
	case PCBG_STAT_CPU_LOCAL:
		return pcbgk_slots_sum(g, offsetof(struct pcbg_slot_count, cpu_local), -1);
	default:
		return pcbgk_percpu_u64(pcbgk_map(g, PCBG_M_STATS), stat, 0, -1);
	}
}

/**
 * pcbgk_maps_slot() - what /proc/net/pcbgroup/sockets shows of one slot.
 * @g: the group.
 * @slot: the slot, below the socket array's capacity.
 * @view: filled in.
 */
static void pcbgk_maps_slot(struct pcbgk_group *g, u32 slot,
			    struct pcbgk_slot_view *view)
{
	const struct pcbg_slot_load *load;
	const struct pcbg_slot *s;
	struct sock *sk;

	*view = (struct pcbgk_slot_view){ .cpu = -1 };
	rcu_read_lock();
	load = pcbgk_map_elem(pcbgk_map(g, PCBG_M_LOAD), slot);
	view->queue = load ? READ_ONCE(load->queue) : 0;
	view->conns = load ? READ_ONCE(load->conns) : 0;
	/*
	 * REUSEPORT_SOCKARRAY's lookup gives the socket itself; only
	 * SOCK_RCU_FREE sockets enter the array (reuseport_array.c), so it
	 * stays valid until rcu_read_unlock().
	 */
	sk = pcbgk_map_elem(pcbgk_map(g, PCBG_M_SOCKS), slot);
	if (sk) {
		view->inode = sock_i_ino(sk);
		s = pcbgk_map_elem(pcbgk_map(g, PCBG_M_SLOTS), slot);
		if (s) {
			view->cpu = READ_ONCE(s->cpu);
			view->weight = pcbg_slot_weight(s);
		}
	}
	rcu_read_unlock();
	view->selected = pcbgk_percpu_u64(pcbgk_map(g, PCBG_M_SLOT_CNT), slot,
					  offsetof(struct pcbg_slot_count, selected), -1);
}

/**
 * pcbgk_maps_cpu() - what /proc/net/pcbgroup/cpus shows of one CPU.
 * @g: the group.
 * @cpu: a possible CPU.
 * @view: filled in.
 *
 * The table is the one of the generation in use (pcbg_group_info.gen), laid
 * out as the program reads it: by the group map's nr_cpus and capacity.  A
 * CPU at or past nr_cpus has no table, as for the program; an entry past
 * the end of a map ends the table.  If the tools switch generations during
 * the read, the table is the one of the generation read first.
 */
static void pcbgk_maps_cpu(struct pcbgk_group *g, unsigned int cpu,
			   struct pcbgk_cpu_view *view)
{
	struct bpf_map *cnt_map = pcbgk_map(g, PCBG_M_CPU_CNT);
	struct bpf_map *slots_map = pcbgk_map(g, PCBG_M_CPU_SLOTS);
	struct bpf_map *stats = pcbgk_map(g, PCBG_M_STATS);
	struct pcbg_group_info info;
	const u32 *cnt, *slot;
	u64 t, base, n;
	u32 i;

	view->nr = 0;
	pcbgk_maps_info(g, &info);
	rcu_read_lock();
	if (cpu >= info.nr_cpus)
		goto out;
	t = (u64)(info.gen & 1) * info.nr_cpus + cpu;
	base = t * info.capacity;
	if (t >= cnt_map->max_entries || base >= slots_map->max_entries)
		goto out;
	cnt = pcbgk_map_elem(cnt_map, t);
	if (!cnt)
		goto out;
	/* at most a table's worth, and never past the map's end */
	n = min3((u64)READ_ONCE(*cnt), (u64)info.capacity,
		 slots_map->max_entries - base);
	for (i = 0; i < n && i < PCBGK_CPU_SLOTS_SHOWN; i++) {
		slot = pcbgk_map_elem(slots_map, base + i);
		if (!slot)
			break;
		view->slots[i] = READ_ONCE(*slot);
	}
	view->nr = i < PCBGK_CPU_SLOTS_SHOWN ? i : n;
out:
	rcu_read_unlock();
	view->local = pcbgk_slots_sum(g, offsetof(struct pcbg_slot_count, cpu_local), cpu);
	view->misses = pcbgk_percpu_u64(stats, PCBG_STAT_CPU_MISS, 0, cpu);
	view->selected = pcbgk_slots_sum(g, offsetof(struct pcbg_slot_count, selected), cpu);
}

static const struct pcbgk_group_ops pcbgk_maps_ops = {
	.info		= pcbgk_maps_info,
	.config		= pcbgk_maps_config,
	.nr_slots	= pcbgk_maps_nr_slots,
	.live_sockets	= pcbgk_maps_live_sockets,
	.stat		= pcbgk_maps_stat,
	.slot		= pcbgk_maps_slot,
	.cpu		= pcbgk_maps_cpu,
	.dead		= pcbgk_maps_dead,
	.write_config	= pcbgk_maps_write_config,
	.free		= pcbgk_maps_free,
};

/**
 * pcbgk_group_register() - register a group's maps in a namespace.
 * @net: the namespace, the caller's.
 * @req: the request; @req->id is set to the group's id on success.
 *
 * Takes the module's own reference on each map, checks them against what
 * the program defines, checks that the group's sockets are in @net, and
 * writes the namespace's knobs into the config.  Every fd of @req is
 * required (0 is a descriptor like any other).
 *
 * Return: 0; -EINVAL for a wrong abi, padding, map type, size or a map
 * given twice; -EBADF for a bad descriptor; -EPERM if a descriptor does
 * not allow reading, or the config map's writing; -EXDEV if a socket of
 * the group is in another namespace; -ENOENT if the group has no socket;
 * -EEXIST if one of the maps is registered already, in any namespace;
 * -EADDRINUSE if the id wanted is taken; -ENOSPC past PCBGK_GROUPS_MAX;
 * -ENOMEM.
 */
int pcbgk_group_register(struct net *net, struct pcbg_register *req)
{
	struct pcbgk_net *pn = pcbgk_net(net);
	const s32 fds[PCBG_M_MODULE_NR] = {
		[PCBG_M_CFG] = req->cfg_fd,
		[PCBG_M_GROUP] = req->group_fd,
		[PCBG_M_SOCKS] = req->socks_fd,
		[PCBG_M_SLOTS] = req->slots_fd,
		[PCBG_M_SLOT_CNT] = req->slot_cnt_fd,
		[PCBG_M_STATS] = req->stats_fd,
		[PCBG_M_CPU_CNT] = req->cpu_cnt_fd,
		[PCBG_M_CPU_SLOTS] = req->cpu_slots_fd,
		[PCBG_M_LOAD] = req->load_fd,
	};
	struct pcbgk_maps_group *mg;
	struct pcbgk_knobs k;
	int i, err;

	if (!pcbgk_maps)
		return -EOPNOTSUPP;
	if (req->abi != PCBG_ABI_VERSION ||
	    memchr_inv(req->__pad, 0, sizeof(req->__pad)))
		return -EINVAL;

	mg = kzalloc(sizeof(*mg), GFP_KERNEL_ACCOUNT);
	if (!mg)
		return -ENOMEM;
	mg->g.ops = &pcbgk_maps_ops;
	for (i = 0; i < PCBG_M_MODULE_NR; i++) {
		struct bpf_map *map = pcbgk_bpf_map_get(fds[i]);

		if (IS_ERR(map)) {
			err = PTR_ERR(map);
			goto err_free_group;
		}
		mg->maps[i] = map;
	}
	err = pcbgk_maps_check(mg);
	if (err)
		goto err_free_group;
	for (i = 0; i < PCBG_M_MODULE_NR; i++) {
		err = pcbgk_fd_allows(fds[i], mg->maps[i], i == PCBG_M_CFG ?
				     FMODE_CAN_READ | FMODE_CAN_WRITE :
				     FMODE_CAN_READ);
		if (err)
			goto err_free_group;
	}
	err = pcbgk_maps_check_net(mg, net);
	if (err)
		goto err_free_group;

	/*
	 * After the sweep, so that a dead group's maps have left the
	 * registry; maps registered already (-EEXIST) before an id taken.
	 */
	mutex_lock(&pn->lock);
	pcbgk_groups_sweep(pn);
	err = pcbgk_registry_add(mg->maps, mg);
	mg->registered = !err;
	if (!err)
		err = pcbgk_group_insert(pn, &mg->g, req->id);
	if (!err) {
		pcbgk_knobs_read(pn, &k);
		pcbgk_maps_write_config(&mg->g, &k);
		req->id = mg->g.id;
	}
	mutex_unlock(&pn->lock);
	if (err)
		goto err_free_group;
	return 0;

err_free_group:
	pcbgk_maps_free(&mg->g);
	return err;
}
