/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's state API (state.c): pcbgroupd writes what it says of the
 * groups it manages, pcbgroupctl show reads it.
 */
#ifndef PCBG_STATE_H
#define PCBG_STATE_H

#include <sys/types.h>
#include <linux/types.h>

/* What pcbgroupd says of the groups it manages (state.c). */
#define PCBGD_RUN_DIR	"/run/pcbgroupd"
#define PCBGD_NAME_MAX	64

struct managed_group {
	unsigned int id;
	char name[PCBGD_NAME_MAX];	/* its declaration */
	char cgroup[256];		/* the cgroup it serves, "" none */
	long long seen;			/* when its sockets were last seen, unix time */
	int waiting;			/* no socket now; kept for them to come back */
};

/*
 * This namespace's state file: the daemon's pid (0 if it is not running)
 * and up to @max groups.  Returns how many, 0 if there is no file.
 */
int managed_read(struct managed_group *m, int max, pid_t *daemon_pid);
/* Rewrite the one of namespace @netns atomically (a new file renamed over). */
int managed_write(__u64 netns, const struct managed_group *m, int n);
/* Remove it, as the daemon exits or the namespace goes. */
void managed_remove(__u64 netns);
/* The entry of group @id in @m, or NULL. */
const struct managed_group *managed_find(const struct managed_group *m, int n,
					 unsigned int id);

#endif
