// SPDX-License-Identifier: GPL-2.0
/*
 * --realtime[=PRIO]: the daemon at SCHED_FIFO, so that it gets a CPU the
 * moment a socket joins, ahead of the servers it steers (haproxy -sf's old
 * process closes its listener 1-2 ms after the new one listens: at the
 * default priority the daemon can miss that window on a busy host).
 *
 * SCHED_RESET_ON_FORK: a thread or child it may ever start (libbpf, a
 * helper) runs at normal priority; only the daemon's own loop is real-time.
 * A refusal (no CAP_SYS_NICE, RestrictRealtime=, an RT group scheduling
 * budget of 0) is one line in the log and the daemon goes on at normal
 * priority: steering works there, only a reload's window is wider, and a
 * daemon that refused to start would steer nothing.
 */
#define _GNU_SOURCE	/* SCHED_RESET_ON_FORK */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "pcbgroupd.h"

int realtime_parse(const char *arg, int *prio)
{
	unsigned long v;

	if (!arg) {
		*prio = REALTIME_DEFAULT_PRIO;
		return 0;
	}
	if (parse_uint(arg, REALTIME_MAX_PRIO, &v) || v < REALTIME_MIN_PRIO) {
		pr_err("--realtime", "'%s': not a SCHED_FIFO priority (%d-%d)", arg,
		       REALTIME_MIN_PRIO, REALTIME_MAX_PRIO);
		return -1;
	}
	*prio = v;
	return 0;
}

int realtime_enter(int prio)
{
	struct sched_param sp = { .sched_priority = prio };

	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp)) {
		int err = errno;

		pr_err("--realtime", "SCHED_FIFO priority %d: %s%s; running at normal priority",
		       prio, strerror(err),
		       err == EPERM ? " (needs CAP_SYS_NICE, RestrictRealtime=no and, with RT "
				      "group scheduling, a budget in cpu.rt_runtime_us)" : "");
		return -err;
	}
	fprintf(stderr, "pcbgroupd: running at SCHED_FIFO priority %d (not inherited by "
		"children)\n", prio);
	return 0;
}
