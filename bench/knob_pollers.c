// SPDX-License-Identifier: GPL-2.0
/*
 * Do unprivileged pollers of /proc/net/pcbgroup/knobs (no-map mode) slow
 * root's knob writes?  Times W sysctl writes (open, write, close, as
 * sysctl -w does) of net.pcbgroup.stats in four conditions, interleaved,
 * their order turning every repetition:
 *   idle     nothing else runs
 *   busy     N processes of nobody's spin, as busy as those below
 *   pollers  N processes of nobody's calling poll(POLLPRI) on the knobs file
 *            in a loop and never read it, so that after the first write
 *            every call returns at once: as busy as the spinners, every
 *            call reaching the module
 *   readers  N processes of nobody's wait in poll(POLLPRI) and read the
 *            file whole when woken, as pcbgroupd does
 * Prints "knob_pollers,CONDITION,REP,US,MAX_US,CPU_US,SLEEPS" lines (per
 * write: wall-clock time, the longest, the writer's CPU time, and how often
 * it slept, i.e. waited for a lock another process held), then the medians
 * and the ratios pollers/busy and readers/idle.  Wall-clock times under
 * TCG swing with the host's load; the CPU time and the sleeps do not, and
 * say what a reader costs the writer.  With -f the writer
 * runs SCHED_FIFO, ahead of every other process: what is left of a
 * slowdown is then waiting for them (a lock a reader holds), not sharing
 * the CPUs.  Run as root in a guest with pcbgroup.ko loaded with maps=0.
 *   knob_pollers [-f] [-n POLLERS] [-w WRITES] [-r REPS]
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "common.h"
#include "pcbgroup.h"

#define KNOBS	"/proc/net/" PCBG_PROC_DIR "/" PCBG_PROC_KNOBS
#define KNOB	"/proc/sys/" PCBG_SYSCTL_PATH "/stats"
#define NOBODY	65534
#define MAX_N	256
#define MAX_R	64
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum { IDLE, BUSY, POLLERS, READERS, NR_COND };
static const char *const cond_name[NR_COND] = { "idle", "busy", "pollers", "readers" };

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A process of nobody's doing what condition @c says. */
static pid_t start_load(int c)
{
	struct pollfd pfd = { .events = POLLPRI };
	volatile unsigned long spin = 0;
	char buf[4096];
	pid_t pid = fork();

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		_exit(1);
	if (c == BUSY)
		for (;;)
			spin++;
	pfd.fd = open(KNOBS, O_RDONLY);
	if (pfd.fd < 0)
		_exit(1);
	for (;;) {
		if (c == READERS) {
			lseek(pfd.fd, 0, SEEK_SET);
			while (read(pfd.fd, buf, sizeof(buf)) > 0)
				;
		}
		if (poll(&pfd, 1, -1) < 0)
			_exit(1);
	}
}

struct sample {
	double us;	/* wall-clock, per write */
	double max;	/* the longest write */
	double cpu;	/* the writer's CPU time, per write */
	double sleeps;	/* voluntary context switches, per write */
};

static double thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static long sleeps(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nvcsw;
}

/* @w writes of the knob. */
static int time_writes(int w, struct sample *s)
{
	double t0 = now_us(), c0 = thread_cpu_us(), t;
	long v0 = sleeps();
	int i, fd;

	s->max = 0;
	for (i = 0; i < w; i++) {
		t = now_us();
		fd = open(KNOB, O_WRONLY);
		if (fd < 0 || write(fd, i & 1 ? "0" : "1", 1) != 1) {
			perror(KNOB);
			return -1;
		}
		close(fd);
		t = now_us() - t;
		s->max = t > s->max ? t : s->max;
	}
	s->us = (now_us() - t0) / w;
	s->cpu = (thread_cpu_us() - c0) / w;
	s->sleeps = (double)(sleeps() - v0) / w;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of field @off (a double) of @n samples. */
static double median(const struct sample *s, int n, size_t off)
{
	double v[MAX_R];
	int i;

	for (i = 0; i < n; i++)
		v[i] = *(const double *)((const char *)&s[i] + off);
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	static const struct { const char *name; size_t off; } fields[] = {
		{ "us", offsetof(struct sample, us) },
		{ "cpu us", offsetof(struct sample, cpu) },
		{ "sleeps", offsetof(struct sample, sleeps) },
	};
	int n = 16, w = 100, reps = 5, fifo = 0, rep, k, c, i;
	struct sched_param rt = { .sched_priority = 10 };
	struct sample s[NR_COND][MAX_R];
	double m[NR_COND];
	pid_t pids[MAX_N];
	size_t f;
	const struct bench_opt opts[] = {
		{ 'f', 'b', &fifo }, { 'n', 'i', &n }, { 'w', 'i', &w }, { 'r', 'i', &reps }, { }
	};

	if (bench_getopts(argc, argv, opts)) {
		fputs("usage: knob_pollers [-f] [-n POLLERS] [-w WRITES] [-r REPS]\n", stderr);
		return 2;
	}
	if (n < 1 || n > MAX_N || w < 1 || reps < 1 || reps > MAX_R) {
		fprintf(stderr, "knob_pollers: -n 1-%d, -w 1 or more, -r 1-%d\n", MAX_N, MAX_R);
		return 2;
	}
	if (access(KNOBS, R_OK)) {
		fprintf(stderr, "knob_pollers: %s: %s (load pcbgroup.ko with maps=0)\n", KNOBS,
			strerror(errno));
		return 1;
	}
	for (rep = 0; rep < reps; rep++) {
		for (k = 0; k < NR_COND; k++) {
			c = (k + rep) % NR_COND;
			for (i = 0; c != IDLE && i < n; i++)
				pids[i] = start_load(c);
			usleep(200000);	/* every poller asleep in poll() */
			if (fifo && sched_setscheduler(0, SCHED_FIFO, &rt)) {
				perror("knob_pollers: SCHED_FIFO");
				return 1;
			}
			if (time_writes(w, &s[c][rep]))
				return 1;
			rt.sched_priority = 0;
			if (fifo)
				sched_setscheduler(0, SCHED_OTHER, &rt);
			rt.sched_priority = 10;
			for (i = 0; c != IDLE && i < n; i++) {
				kill(pids[i], SIGKILL);
				waitpid(pids[i], NULL, 0);
			}
			printf("knob_pollers,%s,%d,%.1f,%.1f,%.1f,%.2f\n", cond_name[c], rep,
			       s[c][rep].us, s[c][rep].max, s[c][rep].cpu, s[c][rep].sleeps);
		}
	}
	printf("# %d writes%s, %d processes, medians per write:\n", w,
	       fifo ? " (SCHED_FIFO)" : "", n);
	for (f = 0; f < ARRAY_SIZE(fields); f++) {
		for (c = 0; c < NR_COND; c++)
			m[c] = median(s[c], reps, fields[f].off);
		printf("#   %-6s idle %.2f, busy %.2f, pollers %.2f, readers %.2f", fields[f].name,
		       m[IDLE], m[BUSY], m[POLLERS], m[READERS]);
		printf("; pollers/busy %.2f, readers/idle %.2f\n",
		       m[BUSY] ? m[POLLERS] / m[BUSY] : 0, m[IDLE] ? m[READERS] / m[IDLE] : 0);
	}
	return 0;
}
