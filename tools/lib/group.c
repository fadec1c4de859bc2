// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A group's handle: made with its maps and program (pcbg_group_create()) or
 * opened from its pins, its writer lock, its config, fields and slots,
 * freed; and attaching its program to a socket's reuseport group.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "pcbgroup.skel.h"
#include "pcbgroup_layout.h"

#ifndef SO_DETACH_REUSEPORT_BPF
#define SO_DETACH_REUSEPORT_BPF 68
#endif

/* A handle with nothing open yet in *@grpp; 0 or -errno. */
static int group_alloc(struct pcbg_group **grpp)
{
	int ncpus = libbpf_num_possible_cpus(), i;
	struct pcbg_group *grp;

	if (ncpus < 0)
		return ncpus;
	grp = malloc(sizeof(*grp));
	if (!grp)
		return -ENOMEM;
	*grp = (struct pcbg_group){ .prog_fd = -1, .sync_inner_fd = -1, .lock_fd = -1,
				    .weighed = -1, .diag_fd = -1, .ncpus = ncpus };
	for (i = 0; i < PCBG_M_NR; i++)
		grp->map_fd[i] = -1;
	*grpp = grp;
	return 0;
}

void pcbg_group_free(struct pcbg_group *grp)
{
	int i;

	if (!grp)
		return;
	pcbg_fill_forget(grp);
	if (grp->sync_inner_fd >= 0)
		close(grp->sync_inner_fd);
	if (grp->lock_fd >= 0)
		close(grp->lock_fd);	/* and with it the lock */
	if (grp->diag_fd >= 0)
		close(grp->diag_fd);
	if (grp->skel) {
		pcbgroup_bpf__destroy(grp->skel);
	} else {
		if (grp->prog_fd >= 0)
			close(grp->prog_fd);
		for (i = 0; i < PCBG_M_NR; i++)
			if (grp->map_fd[i] >= 0)
				close(grp->map_fd[i]);
	}
	free(grp);
}

__u32 pcbg_flows_size(__u32 capacity)
{
	__u64 n = (__u64)capacity * PCBG_FLOWS_PER_SLOT;

	return n < PCBG_FLOWS_MIN ? PCBG_FLOWS_MIN :
	       n > PCBG_FLOWS_MAX ? PCBG_FLOWS_MAX : n;
}

/* Each map of the skeleton by its name in the header's table; 0 or -errno. */
static int skel_maps(struct pcbgroup_bpf *skel, struct bpf_map *maps[PCBG_M_NR])
{
	int m;

	for (m = 0; m < PCBG_M_NR; m++) {
		maps[m] = bpf_object__find_map_by_name(skel->obj, pcbg_map_name(m));
		if (!maps[m])
			return -ENOENT;
	}
	return 0;
}

/* Every map's max_entries by its rule (PCBG_MAPS), the flow table's @flows. */
static int set_capacity(struct pcbgroup_bpf *skel, __u32 capacity, __u32 flows,
			int ncpus)
{
	__u32 maglev_size = pcbg_maglev_size(capacity);	/* a prime search: once */
	struct bpf_map *maps[PCBG_M_NR];
	__u64 n;
	int m, err;

	err = skel_maps(skel, maps);
	for (m = 0; !err && m < PCBG_M_NR; m++) {
		n = pcbg_map_entries(pcbg_map_rule(m), capacity, ncpus, maglev_size);
		err = bpf_map__set_max_entries(maps[m], m == PCBG_M_FLOWS ? flows : n);
	}
	return err;
}

/* The skeleton's descriptors, where a group opened from pins has its own. */
static int take_fds(struct pcbg_group *grp)
{
	struct bpf_map *maps[PCBG_M_NR];
	int m, err;

	err = skel_maps(grp->skel, maps);
	if (err)
		return err;
	grp->prog_fd = bpf_program__fd(grp->skel->progs.pcbg_select);
	for (m = 0; m < PCBG_M_NR; m++)
		grp->map_fd[m] = bpf_map__fd(maps[m]);
	return 0;
}

int pcbg_group_create(struct pcbg_group **grpp, __u32 capacity)
{
	return pcbg_group_create_flows(grpp, capacity, 0);
}

int pcbg_group_create_flows(struct pcbg_group **grpp, __u32 capacity,
			    __u32 flows)
{
	struct pcbg_group_info info = {};
	struct pcbg_config cfg;
	struct pcbg_group *grp;
	__u32 zero = 0;
	int err;

	if (!capacity)
		capacity = PCBG_SLOTS_DEFAULT;
	if (capacity > PCBG_SLOTS_LIMIT || flows > PCBG_FLOWS_MAX)
		return -E2BIG;
	if (!flows)
		flows = pcbg_flows_size(capacity);
	err = group_alloc(&grp);
	if (err)
		return err;
	grp->skel = pcbgroup_bpf__open();
	if (!grp->skel) {
		err = -errno;
		goto err_free;
	}
	err = set_capacity(grp->skel, capacity, flows, grp->ncpus);
	if (err)
		goto err_free;
	err = pcbgroup_bpf__load(grp->skel);
	if (err)
		goto err_free;

	err = take_fds(grp);
	if (err)
		goto err_free;
	pcbg_config_default(&cfg);
	if (getrandom(&info.hash_seed, sizeof(info.hash_seed), 0) != sizeof(info.hash_seed)) {
		err = -errno;
		goto err_free;
	}
	grp->capacity = capacity;
	grp->maglev_size = pcbg_maglev_size(capacity);
	info.capacity = capacity;
	info.nr_cpus = grp->ncpus;
	info.maglev_stride = PCBG_MAGLEV_WORDS(grp->maglev_size);
	if (bpf_map_update_elem(grp->map_fd[PCBG_M_CFG], &zero, &cfg, BPF_ANY) ||
	    bpf_map_update_elem(grp->map_fd[PCBG_M_GROUP], &zero, &info, BPF_ANY)) {
		err = -errno;
		goto err_free;
	}
	*grpp = grp;
	return 0;

err_free:
	pcbg_group_free(grp);
	return err;
}

int pcbg_group_open_pinned(struct pcbg_group **grpp, const char *dir)
{
	struct pcbg_group *grp;
	int err, i, fd;

	err = group_alloc(&grp);
	if (err)
		return err;
	grp->lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (grp->lock_fd < 0) {
		err = -errno;
		goto err_free;
	}
	for (i = -1; i < PCBG_M_NR; i++) {
		fd = pcbg_open_pin(dir, pcbg_map_name(i), i < 0 ? "bpf-prog" : "bpf-map");
		if (fd < 0) {
			err = fd;
			goto err_free;
		}
		if (i < 0)
			grp->prog_fd = fd;
		else
			grp->map_fd[i] = fd;
	}
	err = pcbg_group_validate(grp);
	if (err)
		goto err_free;
	*grpp = grp;
	return 0;

err_free:
	pcbg_group_free(grp);
	return err;
}

/*
 * flock() is held per open file description: the handle's own descriptor
 * of the pin directory.  A group not pinned yet has no other writer.
 */
int pcbg_group_lock(struct pcbg_group *grp)
{
	if (grp->lock_depth++ || grp->lock_fd < 0)
		return 0;
	if (flock(grp->lock_fd, LOCK_EX)) {
		grp->lock_depth--;
		return -errno;
	}
	/* a scan of the slots holds only while the lock does: others wrote since */
	pcbg_fill_forget(grp);
	return 0;
}

void pcbg_group_unlock(struct pcbg_group *grp)
{
	if (grp->lock_depth && !--grp->lock_depth && grp->lock_fd >= 0)
		flock(grp->lock_fd, LOCK_UN);
}

int pcbg_group_lock_info(struct pcbg_group *grp, struct pcbg_group_info *info)
{
	int err = pcbg_group_lock(grp);

	if (err)
		return err;
	err = pcbg_group_info(grp, info);
	if (err)
		pcbg_group_unlock(grp);
	return err;
}

/* Checked at every read: another writer may have put anything there. */
int pcbg_group_config(const struct pcbg_group *grp, struct pcbg_config *cfg)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(grp->map_fd[PCBG_M_CFG], &zero, cfg))
		return -errno;
	return pcbg_check_config(cfg);
}

/* The one write of the config, under the group's writer lock. */
int pcbg_config_write(struct pcbg_group *grp, const struct pcbg_config *cfg)
{
	__u32 zero = 0;
	int err;

	if (pcbg_config_bad_knob(cfg, NULL))
		return -EINVAL;
	err = pcbg_group_lock(grp);
	if (err)
		return err;
	if (bpf_map_update_elem(grp->map_fd[PCBG_M_CFG], &zero, cfg, BPF_ANY))
		err = -errno;
	pcbg_group_unlock(grp);
	return err;
}

/* While pcbgroup.ko is loaded its sysctls are the config's one writer. */
int pcbg_group_set_config(struct pcbg_group *grp, const struct pcbg_config *cfg)
{
	if (pcbg_module_loaded())
		return -EBUSY;
	return pcbg_config_write(grp, cfg);
}

int pcbg_group_info(const struct pcbg_group *grp, struct pcbg_group_info *info)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(grp->map_fd[PCBG_M_GROUP], &zero, info))
		return -errno;
	return pcbg_check_info(grp, info);
}

int pcbg_group_slot(const struct pcbg_group *grp, __u32 slot, struct pcbg_slot *s)
{
	return bpf_map_lookup_elem(grp->map_fd[PCBG_M_SLOTS], &slot, s) ? -errno : 0;
}

int pcbg_group_edit_info(struct pcbg_group *grp,
			 int (*edit)(struct pcbg_group_info *info, __u32 value),
			 __u32 value)
{
	struct pcbg_group_info info;
	__u32 zero = 0;
	int err;

	err = pcbg_group_lock_info(grp, &info);
	if (err)
		return err;
	err = edit(&info, value);
	if (!err && bpf_map_update_elem(grp->map_fd[PCBG_M_GROUP], &zero, &info, BPF_ANY))
		err = -errno;
	pcbg_group_unlock(grp);
	return err;
}

int pcbg_slot_cookie(const struct pcbg_group *grp, __u32 slot, __u64 *cookie)
{
	/* From user space a REUSEPORT_SOCKARRAY lookup returns the cookie. */
	if (!bpf_map_lookup_elem(grp->map_fd[PCBG_M_SOCKS], &slot, cookie))
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

int pcbg_group_slot_live(const struct pcbg_group *grp, __u32 slot)
{
	__u64 cookie;

	return pcbg_slot_cookie(grp, slot, &cookie);
}

int pcbg_group_nr_cpus(const struct pcbg_group *grp)
{
	return grp->ncpus;
}

int pcbg_group_attach(struct pcbg_group *grp, int fd)
{
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &grp->prog_fd,
		       sizeof(grp->prog_fd)))
		return -errno;
	return 0;
}

int pcbg_detach(int fd)
{
	int dummy = 0;

	if (setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &dummy,
		       sizeof(dummy)))
		return -errno;
	return 0;
}
