// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroupd's account of the groups it manages, for pcbgroupctl show: one
 * small text file per network namespace, PCBGD_RUN_DIR/netns<cookie>,
 * rewritten atomically (written aside, then renamed over):
 *
 *     pcbgroupd PID
 *     ID NAME SEEN live|waiting CGROUP|-
 *
 * The daemon writes one for each namespace it serves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "state.h"
#include "tools.h"

static void state_path(char *buf, size_t size, __u64 cookie)
{
	snprintf(buf, size, "%s/netns%llu", PCBGD_RUN_DIR, (unsigned long long)cookie);
}

int managed_read(struct managed_group *m, int max, pid_t *daemon_pid)
{
	char path[PATH_MAX], line[512], state[16];
	__u64 cookie;
	int n = 0, pid;
	FILE *f;

	*daemon_pid = 0;
	if (netns_cookie(&cookie))
		return 0;
	state_path(path, sizeof(path), cookie);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f) || sscanf(line, "pcbgroupd %d", &pid) != 1 ||
	    pid <= 0) {
		fclose(f);
		return 0;
	}
	/* a daemon killed with SIGKILL leaves its file behind */
	*daemon_pid = kill(pid, 0) && errno == ESRCH ? 0 : pid;
	while (n < max && fgets(line, sizeof(line), f)) {
		struct managed_group *g = &m[n];

		g->cgroup[0] = '\0';
		if (sscanf(line, "%u %63s %lld %15s %255s", &g->id, g->name, &g->seen, state,
			   g->cgroup) < 4)
			continue;
		g->waiting = !strcmp(state, "waiting");
		if (!strcmp(g->cgroup, "-"))
			g->cgroup[0] = '\0';
		n++;
	}
	fclose(f);
	return n;
}

int managed_write(__u64 netns, const struct managed_group *m, int n)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int i, err = 0;
	FILE *f;

	if (mkdir(PCBGD_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	state_path(path, sizeof(path), netns);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "pcbgroupd %d\n", getpid());
	for (i = 0; i < n; i++)
		fprintf(f, "%u %s %lld %s %s\n", m[i].id, m[i].name, m[i].seen,
			m[i].waiting ? "waiting" : "live", m[i].cgroup[0] ? m[i].cgroup : "-");
	if (fflush(f) || ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

void managed_remove(__u64 netns)
{
	char path[PATH_MAX];

	state_path(path, sizeof(path), netns);
	unlink(path);
}

const struct managed_group *managed_find(const struct managed_group *m, int n,
					 unsigned int id)
{
	int i;

	for (i = 0; i < n; i++)
		if (m[i].id == id)
			return &m[i];
	return NULL;
}
