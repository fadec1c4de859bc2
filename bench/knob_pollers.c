// SPDX-License-Identifier: GPL-2.0
/*
 * Do unprivileged pollers of /proc/net/pcbgroup/knobs (no-map mode) slow
 * root's knob writes?  Times W sysctl writes (open, write, close, as
 * sysctl -w does) of net.pcbgroup.stats in three conditions, interleaved,
 * their order turning every repetition:
 *   idle     nothing else runs
 *   busy     N processes of nobody's spin: the same CPU load as...
 *   pollers  N processes of nobody's wait in poll(POLLPRI) on the knobs
 *            file and read it whole when woken, as pcbgroupd does
 * Prints "knob_pollers,CONDITION,REP,US_PER_WRITE,MAX_US" lines, then the
 * medians and the ratios pollers/busy and pollers/idle.  With -f the writer
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "pcbgroup.h"

#define KNOBS	"/proc/net/" PCBG_PROC_DIR "/" PCBG_PROC_KNOBS
#define KNOB	"/proc/sys/" PCBG_SYSCTL_PATH "/stats"
#define NOBODY	65534
#define MAX_N	256
#define MAX_R	64

enum { IDLE, BUSY, POLLERS, NR_COND };
static const char *const cond_name[NR_COND] = { "idle", "busy", "pollers" };

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A process of nobody's that spins (@poll 0) or polls the knobs file. */
static pid_t start_load(int poll_knobs)
{
	struct pollfd pfd = { .events = POLLPRI };
	char buf[4096];
	pid_t pid = fork();
	volatile unsigned long spin = 0;

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		_exit(1);
	if (!poll_knobs)
		for (;;)
			spin++;
	pfd.fd = open(KNOBS, O_RDONLY);
	if (pfd.fd < 0)
		_exit(1);
	for (;;) {
		lseek(pfd.fd, 0, SEEK_SET);
		while (read(pfd.fd, buf, sizeof(buf)) > 0)
			;
		if (poll(&pfd, 1, -1) < 0)
			_exit(1);
	}
}

/* @w writes of the knob; the mean and the longest, in microseconds. */
static int time_writes(int w, double *mean, double *max)
{
	double t0 = now_us(), t;
	int i, fd;

	*max = 0;
	for (i = 0; i < w; i++) {
		t = now_us();
		fd = open(KNOB, O_WRONLY);
		if (fd < 0 || write(fd, i & 1 ? "0" : "1", 1) != 1) {
			perror(KNOB);
			return -1;
		}
		close(fd);
		t = now_us() - t;
		*max = t > *max ? t : *max;
	}
	*mean = (now_us() - t0) / w;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	double mean[NR_COND][MAX_R], max[NR_COND][MAX_R], m[NR_COND];
	int n = 16, w = 100, reps = 5, fifo = 0, opt, rep, k, c, i;
	struct sched_param rt = { .sched_priority = 10 };
	pid_t pids[MAX_N];

	while ((opt = getopt(argc, argv, "fn:w:r:")) != -1) {
		switch (opt) {
		case 'f':
			fifo = 1;
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'w':
			w = atoi(optarg);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		default:
			fputs("usage: knob_pollers [-f] [-n POLLERS] [-w WRITES] [-r REPS]\n",
			      stderr);
			return 2;
		}
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
				pids[i] = start_load(c == POLLERS);
			usleep(200000);	/* every poller asleep in poll() */
			if (fifo && sched_setscheduler(0, SCHED_FIFO, &rt)) {
				perror("knob_pollers: SCHED_FIFO");
				return 1;
			}
			if (time_writes(w, &mean[c][rep], &max[c][rep]))
				return 1;
			rt.sched_priority = 0;
			if (fifo)
				sched_setscheduler(0, SCHED_OTHER, &rt);
			rt.sched_priority = 10;
			for (i = 0; c != IDLE && i < n; i++) {
				kill(pids[i], SIGKILL);
				waitpid(pids[i], NULL, 0);
			}
			printf("knob_pollers,%s,%d,%.1f,%.1f\n", cond_name[c], rep, mean[c][rep],
			       max[c][rep]);
		}
	}
	for (c = 0; c < NR_COND; c++)
		m[c] = median(mean[c], reps);
	printf("# %d writes%s, %d processes, median us per write: ", w,
	       fifo ? " (SCHED_FIFO)" : "", n);
	printf("idle %.1f, busy %.1f, pollers %.1f\n", m[IDLE], m[BUSY], m[POLLERS]);
	printf("# pollers/busy %.2f, pollers/idle %.2f\n", m[POLLERS] / m[BUSY],
	       m[POLLERS] / m[IDLE]);
	return 0;
}
