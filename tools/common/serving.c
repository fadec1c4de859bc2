// SPDX-License-Identifier: GPL-2.0
/*
 * Which thread serves each adopted socket, and so which CPU the socket
 * belongs to.  The process named first is often a master holding every
 * worker's socket (nginx), and a worker's affinity says nothing of the other
 * workers' sockets: each socket's CPU has to come from whoever waits on it.
 *
 * A thread blocked in a syscall shows it in /proc/PID/task/TID/syscall with
 * its arguments: recvfrom/accept name the socket's fd, epoll_wait an epoll
 * fd whose fdinfo lists the inodes it watches, poll a pollfd array read from
 * /proc/PID/mem.  A thread that is running at that moment says nothing; then
 * the holders of the socket that hold the fewest of the group's sockets
 * (the workers rather than their master) are taken as its servers.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "tools.h"

#define MAX_WAITED	256	/* fds looked at per waiting thread */

/* What is known of the threads waiting on one socket. */
struct waiters {
	int count;
	int cpu;		/* their common CPU; -1 if unpinned or they differ */
	pid_t pid;		/* the process of the first one */
};

/* The one CPU in a "Cpus_allowed_list:" value, or -1 if it lists more. */
static int single_cpu(const char *list)
{
	char *end;
	long cpu = strtol(list, &end, 10);

	return end != list && (*end == '\n' || !*end) && cpu >= 0 ? cpu : -1;
}

/* The CPU thread @tid of @pid is pinned to, -1 if not one. */
static int task_cpu(pid_t pid, const char *tid)
{
	char line[256];
	int cpu = -1;
	FILE *f;

	f = proc_open("/proc/%d/task/%.16s/status", pid, tid);
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Cpus_allowed_list:", 18))
			cpu = single_cpu(line + 18 + strspn(line + 18, " \t"));
	fclose(f);
	return cpu;
}

/* The CPU every thread of @pid is pinned to, if all to the same; -1. */
static int process_cpu(pid_t pid)
{
	struct dirent *de;
	int cpu = -1, c;
	DIR *dir;

	dir = proc_opendir(pid, "task");
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		c = task_cpu(pid, de->d_name);
		if (c < 0 || (cpu >= 0 && c != cpu)) {
			cpu = -1;
			break;
		}
		cpu = c;
	}
	closedir(dir);
	return cpu;
}

/* The inodes epoll descriptor @epfd of @pid watches; returns how many. */
static int epoll_inodes(pid_t pid, long epfd, __u64 *inodes, int max)
{
	unsigned long ino;
	char line[256];
	int n = 0;
	FILE *f;

	f = proc_open("/proc/%d/fdinfo/%ld", pid, epfd);
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, " ino:");

		if (!strncmp(line, "tfd:", 4) && p && sscanf(p + 5, "%lx", &ino) == 1)
			inodes[n++] = ino;
	}
	fclose(f);
	return n;
}

/* The socket inodes of the pollfd array at @addr in @pid; returns how many. */
static int poll_inodes(pid_t pid, unsigned long addr, unsigned long nfds,
		       __u64 *inodes, int max)
{
	struct pollfd pfds[MAX_WAITED];
	char path[64];
	ssize_t got;
	int fd, i, n = 0;

	if (nfds > MAX_WAITED)
		nfds = MAX_WAITED;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	got = pread(fd, pfds, nfds * sizeof(*pfds), addr);
	close(fd);
	for (i = 0; got > 0 && i < got / (ssize_t)sizeof(*pfds) && n < max; i++) {
		inodes[n] = pfds[i].fd >= 0 ? proc_fd_inode(pid, pfds[i].fd) : 0;
		n += inodes[n] != 0;
	}
	return n;
}

/* The socket inodes thread @tid of @pid is blocked on; returns how many. */
static int task_waits(pid_t pid, const char *tid, __u64 *inodes, int max)
{
	unsigned long a0, a1;
	char line[256];
	long nr;
	FILE *f;
	int ok;

	f = proc_open("/proc/%d/task/%.16s/syscall", pid, tid);
	if (!f)
		return 0;
	ok = fgets(line, sizeof(line), f) &&
	     sscanf(line, "%ld %lx %lx", &nr, &a0, &a1) == 3;
	fclose(f);
	if (!ok)	/* "running", or not in a syscall */
		return 0;
	switch (nr) {
#ifdef SYS_epoll_wait
	case SYS_epoll_wait:
#endif
	case SYS_epoll_pwait:
#ifdef SYS_epoll_pwait2
	case SYS_epoll_pwait2:
#endif
		return epoll_inodes(pid, a0, inodes, max);
#ifdef SYS_poll
	case SYS_poll:
#endif
	case SYS_ppoll:
		return poll_inodes(pid, a0, a1, inodes, max);
#ifdef SYS_read
	case SYS_read:
#endif
	case SYS_recvfrom:
	case SYS_recvmsg:
	case SYS_recvmmsg:
#ifdef SYS_accept
	case SYS_accept:
#endif
	case SYS_accept4:
		inodes[0] = proc_fd_inode(pid, a0);
		return inodes[0] ? 1 : 0;
	default:
		return 0;
	}
}

static void note_waiter(struct waiters *w, pid_t pid, int cpu)
{
	if (!w->count++) {
		w->pid = pid;
		w->cpu = cpu;
	} else if (w->cpu != cpu) {
		w->cpu = -1;
	}
}

/* Every thread of @pid: which of @socks it waits on, and on which CPU. */
static void scan_threads(pid_t pid, const struct adopted_sock *socks, int n,
			 struct waiters *waiters)
{
	__u64 inodes[MAX_WAITED];
	struct dirent *de;
	int i, k, nw;
	DIR *dir;

	dir = proc_opendir(pid, "task");
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		nw = task_waits(pid, de->d_name, inodes, MAX_WAITED);
		for (k = 0; k < nw; k++)
			for (i = 0; i < n; i++)
				if (socks[i].desc.inode == inodes[k])
					note_waiter(&waiters[i], pid,
						    task_cpu(pid, de->d_name));
	}
	closedir(dir);
}

/* The holder of @s that holds the fewest of the @n sockets, and its CPU. */
static void fewest_holder(struct adopted_sock *s, const int *held,
			  const pid_t *pids, int npids)
{
	int i, best = -1, cpu = -2, c;

	for (i = 0; i < npids; i++)
		if ((s->holders >> i & 1) && (best < 0 || held[i] < held[best]))
			best = i;
	if (best < 0)
		return;
	s->pid = pids[best];
	/* all the holders as small as the best: their CPU if they agree */
	for (i = 0; i < npids; i++) {
		if (!(s->holders >> i & 1) || held[i] != held[best])
			continue;
		c = process_cpu(pids[i]);
		cpu = cpu == -2 || cpu == c ? c : -1;
	}
	s->cpu = cpu < 0 ? -1 : cpu;
}

/* find_servers() in up to @rounds looks; 1 if every socket had a waiter. */
static int look_for_servers(struct adopted_sock *socks, int n, const pid_t *pids,
			    int npids, int rounds)
{
	struct waiters *waiters = calloc(n ? n : 1, sizeof(*waiters));
	int held[ADOPT_MAX_PIDS] = {}, i, k, round, all = 1;

	for (i = 0; i < n; i++)
		for (k = 0; k < npids && k < ADOPT_MAX_PIDS; k++)
			held[k] += socks[i].holders >> k & 1;
	/*
	 * A thread between two waits says nothing: look again, briefly, while
	 * a socket has no waiter.
	 */
	for (round = 0; waiters && round < rounds; round++) {
		if (round)
			usleep(SCAN_PAUSE_US);
		for (k = 0; k < npids; k++)
			scan_threads(pids[k], socks, n, waiters);
		for (i = 0; i < n && waiters[i].count; i++)
			;
		if (i == n)
			break;
	}
	for (i = 0; i < n; i++) {
		struct adopted_sock *s = &socks[i];

		if (waiters && waiters[i].count) {
			s->pid = waiters[i].pid;
			s->cpu = waiters[i].cpu;
		} else {
			fewest_holder(s, held, pids, npids);
			/* the server said which CPU: nothing more to learn */
			all &= s->desc.incoming_cpu >= 0;
		}
		/* the server said itself which CPU the socket is for */
		if (s->desc.incoming_cpu >= 0)
			s->cpu = s->desc.incoming_cpu;
	}
	free(waiters);
	return all;
}

void find_servers(struct adopted_sock *socks, int n, const pid_t *pids,
		  int npids)
{
	look_for_servers(socks, n, pids, npids, SCAN_ROUNDS);
}

int guess_servers(struct adopted_sock *socks, int n, const pid_t *pids,
		  int npids)
{
	return look_for_servers(socks, n, pids, npids, 1);
}
