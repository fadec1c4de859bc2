// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Taking a damaged group apart.  pcbg_group_open_pinned() refuses a group
 * whose pins do not check out, but such a group must still be removable:
 * each map is used here only if it has its own shape (type, key and value
 * size), whatever its neighbours; a map whose pin is missing or wrong is
 * looked for among the maps of the group's program; and nothing more is
 * read than a real group can hold (PCBG_SLOTS_LIMIT slots).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <bpf/bpf.h>

#include "internal.h"

static __u32 at_most_limit(__u32 n)
{
	return n < PCBG_SLOTS_LIMIT ? n : PCBG_SLOTS_LIMIT;
}

/* Map @map of the group's program, by name and shape; -ENOENT if none. */
static int map_of_prog(const char *dir, int map, struct bpf_map_info *mi)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), ids[64], i;
	int prog, fd, ret = -ENOENT;

	prog = pcbg_open_pin(dir, PCBG_PIN_PROG, "bpf-prog");
	if (prog < 0)
		return prog;
	info.nr_map_ids = 64;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog, &info, &len))
		goto out;
	for (i = 0; i < info.nr_map_ids && i < 64 && ret < 0; i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		if (!pcbg_check_map_shape(map, fd, mi) &&
		    !strncmp(mi->name, pcbg_map_name(map), sizeof(mi->name)))
			ret = fd;
		else
			close(fd);
	}
out:
	close(prog);
	return ret;
}

/*
 * Map @map of the group under @dir, if one can be used alone: the one the
 * program uses (what steers), else the pinned one; -errno if neither.
 */
static int usable_map(const char *dir, int map, struct bpf_map_info *mi)
{
	int fd = map_of_prog(dir, map, mi);

	if (fd >= 0)
		return fd;
	fd = pcbg_open_pin(dir, pcbg_map_name(map), "bpf-map");
	if (fd >= 0 && !pcbg_check_map_shape(map, fd, mi))
		return fd;
	if (fd >= 0)
		close(fd);
	return -ENOENT;
}

/* Empty socket array @fd of @entries. */
static int release(int fd, __u32 entries)
{
	__u32 slot, nr = at_most_limit(entries);

	for (slot = 0; slot < nr; slot++)
		if (bpf_map_delete_elem(fd, &slot) && errno != ENOENT)
			return -errno;
	return 0;
}

/* The writer lock of the group (see pcbg_group_lock()). */
static int lock_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		close(fd);
		return -errno;
	}
	return fd;
}

int pcbg_salvage_sockets(const char *dir, struct pcbg_slot *out, size_t max)
{
	int lock, slots = -1, socks = -1, group = -1, n = 0;
	struct bpf_map_info mi, si, gi;
	struct pcbg_group_info info;
	__u32 slot, nr, zero = 0;
	struct pcbg_slot s;
	__u64 cookie;

	lock = lock_dir(dir);
	if (lock < 0)
		return lock;
	slots = usable_map(dir, PCBG_M_SLOTS, &mi);
	socks = usable_map(dir, PCBG_M_SOCKS, &si);
	if (slots < 0 || socks < 0)
		goto out;	/* no socket is known for sure */
	nr = at_most_limit(mi.max_entries);
	group = usable_map(dir, PCBG_M_GROUP, &gi);
	if (group >= 0 && !bpf_map_lookup_elem(group, &zero, &info) && info.nr_slots < nr)
		nr = info.nr_slots;
	for (slot = 0; slot < nr && (size_t)n < max; slot++) {
		if (bpf_map_lookup_elem(slots, &slot, &s) || !(s.flags & PCBG_SLOT_USED) ||
		    bpf_map_lookup_elem(socks, &slot, &cookie) || cookie != s.cookie)
			continue;
		out[n++] = s;
	}
out:
	if (group >= 0)
		close(group);
	if (socks >= 0)
		close(socks);
	if (slots >= 0)
		close(slots);
	close(lock);
	return n;
}

int pcbg_salvage_release(const char *dir)
{
	struct bpf_map_info mi;
	int lock, fd, err = 0;

	lock = lock_dir(dir);
	if (lock < 0)
		return lock;
	/* the program's socket array, and whatever array is pinned in its place */
	fd = map_of_prog(dir, PCBG_M_SOCKS, &mi);
	if (fd >= 0) {
		err = release(fd, mi.max_entries);
		close(fd);
	}
	fd = pcbg_open_pin(dir, PCBG_MAP_SOCKS, "bpf-map");
	if (fd >= 0) {
		if (!err && !pcbg_check_map_shape(PCBG_M_SOCKS, fd, &mi))
			err = release(fd, mi.max_entries);
		close(fd);
	}
	close(lock);
	return err;
}
