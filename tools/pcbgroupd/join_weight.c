// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroupd's join_weight: a socket of a new server version, started beside
 * the running one, gets the declared weight, a canary's share; once the
 * sockets of the old version have all gone, the new ones weigh the default
 * again, so that the next version is a canary in its turn.
 *
 * A version is an executable file: a socket is of a new version when its
 * process runs an executable (/proc/PID/exe's device and inode: a package
 * upgrade replaces the file) that no process of the group's live sockets
 * runs.  A server's workers starting one after another, or respawned, run
 * the same file as the others and weigh the default.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "pcbgroupd.h"

static int exe_of(pid_t pid, struct exe_id *id)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (pid <= 0 || stat(path, &st))
		return -1;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return 0;
}

int join_weight_versions(struct pcbg_group *grp, struct exe_id *ids, int max)
{
	struct pcbg_group_info info;
	struct exe_id id;
	struct pcbg_slot s;
	int n = 0, i;
	__u32 slot;

	if (pcbg_group_info(grp, &info))
		return 0;
	for (slot = 0; slot < info.nr_slots && n < max; slot++) {
		if (pcbg_group_slot_live(grp, slot) != 1 || pcbg_group_slot(grp, slot, &s) ||
		    exe_of(s.pid, &id))
			continue;
		for (i = 0; i < n && (ids[i].dev != id.dev || ids[i].ino != id.ino); i++)
			;
		if (i == n)
			ids[n++] = id;
	}
	return n;
}

int join_weight_is_new(pid_t pid, const struct exe_id *ids, int n)
{
	struct exe_id id;
	int i;

	if (!n || exe_of(pid, &id))
		return 0;
	for (i = 0; i < n; i++)
		if (ids[i].dev == id.dev && ids[i].ino == id.ino)
			return 0;
	return 1;
}

int join_weight_settle(struct pcbg_group *grp, __u32 w)
{
	struct pcbg_group_info info;
	struct pcbg_slot s;
	__u32 slot;
	int err, n = 0;

	if (w == PCBG_WEIGHT_DEFAULT)
		return 0;
	err = pcbg_group_info(grp, &info);
	for (slot = 0; !err && slot < info.nr_slots; slot++) {
		if (pcbg_group_slot_live(grp, slot) != 1)
			continue;
		err = pcbg_group_slot(grp, slot, &s);
		if (!err && pcbg_slot_weight(&s) != w)
			return 0;	/* an older socket is still there */
		n++;
	}
	for (slot = 0; !err && n && slot < info.nr_slots; slot++)
		if (pcbg_group_slot_live(grp, slot) == 1)
			err = pcbg_group_weigh_slot(grp, slot, PCBG_WEIGHT_DEFAULT);
	if (!err && n)
		err = pcbg_group_publish(grp);
	return err ? err : n;
}
