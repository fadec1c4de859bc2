/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What pcbgroupd's tests (pcbgroupd.c, pcbgroupd_containers.c) share: the daemon
 * started as their child, its declarations written, `show -j` read.
 */
#ifndef PCBG_SELFTESTS_DAEMON_H
#define PCBG_SELFTESTS_DAEMON_H

#include <sched.h>
#include <time.h>

#include "lib.h"

#define PCBGD_RUN_DIR	"/run/pcbgroupd"	/* where show learns what it manages */

static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static inline int write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* The number after the first @key in @json, or -1. */
static inline long long json_num(const char *json, const char *key)
{
	const char *p = strstr(json, key);

	return p ? atoll(p + strlen(key)) : -1;
}

/*
 * build/pcbgroupd on the declarations in @dir, looking every @interval ms
 * (besides its bind-time events), its log in @dir/daemon.log and its
 * metrics in @dir/pcbgroup.prom (every second); it dies with the test.
 * With @own_mounts, in a mount namespace of its own, with a bpffs and a
 * /run/pcbgroupd of its own (for a test that stays in the host's, as
 * podman must).
 */
static inline pid_t start_pcbgroupd_every(const char *dir, int own_mounts,
					  const char *interval)
{
	char path[PATH_MAX + 16], log[128], prom[128];
	pid_t pid;
	int fd;

	snprintf(path, sizeof(path), "%s/pcbgroupd", build_dir());
	snprintf(log, sizeof(log), "%s/daemon.log", dir);
	snprintf(prom, sizeof(prom), "%s/pcbgroup.prom", dir);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (own_mounts) {
			mkdir(PCBGD_RUN_DIR, 0755);
			if (unshare(CLONE_NEWNS) ||
			    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
			    mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") ||
			    mount("tmpfs", PCBGD_RUN_DIR, "tmpfs", 0, "mode=0755"))
				_exit(126);
		}
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 2);
		execl(path, "pcbgroupd", "-c", dir, "-i", interval, "-p", prom, "-P", "1",
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The same, looking every 100 ms. */
static inline pid_t start_pcbgroupd(const char *dir, int own_mounts)
{
	return start_pcbgroupd_every(dir, own_mounts, "100");
}

#endif
