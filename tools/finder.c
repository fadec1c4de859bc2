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

/*
 * Calls @fn with the first line of /proc/PID/@file of every process, until
 * @fn returns nonzero.
 */
static void each_process(const char *file, int (*fn)(long pid, char *line, void *ctx),
			 void *ctx)
{
	char path[64], line[512];
	struct dirent *de;
	DIR *dir;
	FILE *f;
	char *end;
	long v;
	int got, stop = 0;

	dir = opendir("/proc");
	if (!dir)
		return;
	while (!stop && (de = readdir(dir))) {
		v = strtol(de->d_name, &end, 10);
		if (*end || v <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/%s", v, file);
		f = fopen(path, "r");
		if (!f)
			continue;
		got = !!fgets(line, sizeof(line), f);
		fclose(f);
		if (got)
			stop = fn(v, line, ctx);
	}
	closedir(dir);
}

struct process_list {
	pid_t *pid;
	pid_t *ppid;
	int n;
	int max;
	const char *comm;
};

/* "PID (comm) S PPID ...": comm may hold anything, ')' included */
static int add_with_parent(long pid, char *line, void *ctx)
{
	struct process_list *l = ctx;
	char *p = strrchr(line, ')');

	if (p && sscanf(p + 1, " %*c %d", &l->ppid[l->n]) == 1)
		l->pid[l->n++] = pid;
	return l->n >= l->max;
}

static int add_if_comm(long pid, char *line, void *ctx)
{
	struct process_list *l = ctx;

	line[strcspn(line, "\n")] = '\0';
	if (!strcmp(line, l->comm))
		l->n = add_pid(l->pid, l->n, l->max, pid);
	return 0;
}

/* pid and parent of every process, from /proc/PID/stat; returns how many. */
static int all_processes(pid_t *pid, pid_t *ppid, int max)
{
	struct process_list l = { .pid = pid, .ppid = ppid, .max = max };

	if (max > 0)
		each_process("stat", add_with_parent, &l);
	return l.n;
}

static int by_comm(const char *name, pid_t *pids, int max)
{
	struct process_list l = { .pid = pids, .max = max, .comm = name };

	each_process("comm", add_if_comm, &l);
	return l.n;
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
