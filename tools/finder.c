// SPDX-License-Identifier: GPL-2.0
/*
 * The processes whose sockets a declaration means: by name (comm), by pid
 * file (that process and its descendants: a master and its workers), or by
 * systemd unit (every process of its cgroup).  Only run when the sockets on
 * the declared port changed, so a walk over /proc is affordable.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcbgroupd.h"

#define MAX_PROCS	32768

static int add_pid(pid_t *pids, int n, int max, pid_t pid)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			return n;
	if (n < max)
		pids[n++] = pid;
	return n;
}

/* The next process in the /proc listing @dir, or 0 at its end. */
static long next_pid(DIR *dir)
{
	struct dirent *de;
	char *end;
	long v;

	while ((de = readdir(dir))) {
		v = strtol(de->d_name, &end, 10);
		if (!*end && v > 0)
			return v;
	}
	return 0;
}

/* pid and parent of every process, from /proc/PID/stat; returns how many. */
static int all_processes(pid_t *pid, pid_t *ppid, int max)
{
	char path[64], buf[512], *p;
	int n = 0;
	DIR *dir;
	FILE *f;
	long v;

	dir = opendir("/proc");
	if (!dir)
		return 0;
	while (n < max && (v = next_pid(dir))) {
		snprintf(path, sizeof(path), "/proc/%ld/stat", v);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		/* "PID (comm) S PPID ...": comm may hold anything, ')' included */
		if (p && sscanf(p + 1, " %*c %d", &ppid[n]) == 1)
			pid[n++] = v;
	}
	closedir(dir);
	return n;
}

static int by_comm(const char *name, pid_t *pids, int max)
{
	char path[64], comm[64];
	int n = 0;
	DIR *dir;
	FILE *f;
	long v;

	dir = opendir("/proc");
	if (!dir)
		return 0;
	while ((v = next_pid(dir))) {
		snprintf(path, sizeof(path), "/proc/%ld/comm", v);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = '\0';
			if (!strcmp(comm, name))
				n = add_pid(pids, n, max, v);
		}
		fclose(f);
	}
	closedir(dir);
	return n;
}

static int by_pidfile(const char *file, pid_t *pids, int max)
{
	static pid_t all[MAX_PROCS], parent[MAX_PROCS];
	int n = 0, nall, i, grew = 1;
	long pid;
	FILE *f;

	f = fopen(file, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 0 || pid > INT_MAX)
		pid = 0;
	fclose(f);
	if (!pid || (kill(pid, 0) && errno == ESRCH))
		return 0;
	n = add_pid(pids, n, max, pid);
	nall = all_processes(all, parent, MAX_PROCS);
	while (grew) {	/* descendants, to any depth */
		int before = n, k;

		for (i = 0; i < nall; i++)
			for (k = 0; k < before; k++)
				if (parent[i] == pids[k])
					n = add_pid(pids, n, max, all[i]);
		grew = n > before;
	}
	return n;
}

/* The pids in @dir's cgroup.procs and its sub-cgroups'. */
static int cgroup_procs(const char *dir, pid_t *pids, int n, int max, int depth)
{
	char path[PATH_MAX];
	struct dirent *de;
	long pid;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "r");
	if (f) {
		while (fscanf(f, "%ld", &pid) == 1)
			if (pid > 0 && pid <= INT_MAX)
				n = add_pid(pids, n, max, pid);
		fclose(f);
	}
	if (depth >= 4)
		return n;
	d = opendir(dir);
	if (!d)
		return n;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = cgroup_procs(path, pids, n, max, depth + 1);
	}
	closedir(d);
	return n;
}

static int by_unit(const char *unit, pid_t *pids, int max)
{
	static const char *const roots[] = {
		"/sys/fs/cgroup/system.slice",		/* cgroup v2 */
		"/sys/fs/cgroup/unified/system.slice",	/* hybrid */
		"/sys/fs/cgroup/systemd/system.slice",	/* v1 */
	};
	char dir[PATH_MAX];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(roots); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", roots[i], unit);
		if (!access(dir, F_OK))
			return cgroup_procs(dir, pids, 0, max, 0);
	}
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

int find_processes(const struct decl *d, pid_t *pids, int max)
{
	int n = 0;

	switch (d->finder) {
	case FIND_PROCESS:
		n = by_comm(d->target, pids, max);
		break;
	case FIND_PIDFILE:
		n = by_pidfile(d->target, pids, max);
		break;
	case FIND_UNIT:
		n = by_unit(d->target, pids, max);
		break;
	}
	qsort(pids, n, sizeof(*pids), cmp_pid);
	return n;
}
