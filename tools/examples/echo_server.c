// SPDX-License-Identifier: GPL-2.0
/*
 * echo_server: N workers, each with its own SO_REUSEPORT socket on one port,
 * answering every datagram or connection with "worker=<index>".  An
 * unmodified server for pcbgroupctl to adopt.  On SIGTERM or SIGINT it prints
 * what each worker received.
 *
 *   echo_server -t tcp|udp [-6] [-a ADDR] [-p PORT] [-w WORKERS] [-c|-A] [-f] [-b BASE] [-s]
 *
 * -c pins worker i to CPU i % ncpus and sets SO_INCOMING_CPU on its socket;
 * -A only pins it.  -f makes the workers processes, forked by a master that
 * keeps every socket while each worker keeps its own (nginx's layout).
 * -b numbers the workers from BASE: one-worker servers run side by side as
 * the workers of one service, each answering with its own number.
 * -s makes the TCP workers blocking servers of uneven cost, as a sync
 * worker of gunicorn is: a request "S <us>" holds its worker that many
 * microseconds before the answer (the client decides which are slow).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include "echo_proto.h"

struct worker {
	pthread_t thread;
	int index;
	int fd;
	int cpu;
	unsigned long long inode;
	unsigned long long received;
};

static volatile sig_atomic_t stop;
static int sock_type = SOCK_DGRAM;
static int slow_ok;	/* -s: "S <us>" requests sleep */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "echo_server: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: echo_server -t tcp|udp [-6] [-a ADDR] [-p PORT] [-w WORKERS]"
		" [-c|-A] [-f] [-b BASE] [-s]\n"
		"  -c  pin worker i to CPU i %% ncpus, and set SO_INCOMING_CPU\n"
		"  -A  pin worker i to CPU i %% ncpus only\n"
		"  -f  workers are processes forked by a master that keeps all sockets\n"
		"  -b  number the workers from BASE\n"
		"  -s  TCP: a request \"S <us>\" blocks its worker that long (up to 10 s)\n");
	exit(2);
}

/* A socket bound to @ea; its port into @ea->port if that was 0. */
static int open_socket(struct echo_addr *ea, int cpu)
{
	struct sockaddr_storage ss = {};
	socklen_t len;
	int fd, one = 1;

	fd = socket(ea->family, sock_type, 0);
	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		die("SO_REUSEPORT");
	/* say which CPU this socket's worker runs on, as so_incoming_cpu.c does */
	if (cpu >= 0 && setsockopt(fd, SOL_SOCKET, SO_INCOMING_CPU, &cpu, sizeof(cpu)))
		die("SO_INCOMING_CPU");
	len = echo_sockaddr(&ss, ea->family, ea->addr ?: (ea->family == AF_INET ? "0.0.0.0" : "::"),
			    ea->port);
	if (!len)
		usage();
	if (bind(fd, (struct sockaddr *)&ss, len))
		die("bind");
	if (sock_type == SOCK_STREAM && listen(fd, 4096))
		die("listen");
	if (!ea->port) {
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len))
			die("getsockname");
		ea->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	return fd;
}

/* -s: block this worker for the microseconds asked, at most 10 s. */
static void slow_request(const char *arg)
{
	long us = strtol(arg, NULL, 10);

	if (us > 0 && us <= 10000000)
		usleep(us);
}

static void serve_one(struct worker *w)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char buf[512], reply[32];
	int n, rlen, c;

	rlen = snprintf(reply, sizeof(reply), ECHO_REPLY_FMT, w->index);
	if (sock_type == SOCK_DGRAM) {
		n = recvfrom(w->fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&peer, &plen);
		if (n < 0)
			return;
		w->received++;
		sendto(w->fd, reply, rlen, 0, (struct sockaddr *)&peer, plen);
		return;
	}
	c = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK);
	if (c < 0)
		return;
	w->received++;
	/* the client writes first; wait for it briefly, then answer */
	poll(&(struct pollfd){ .fd = c, .events = POLLIN }, 1, 1000);
	n = recv(c, buf, sizeof(buf) - 1, 0);
	if (n >= 0) {
		buf[n] = '\0';
		if (slow_ok && buf[0] == 'S')
			slow_request(buf + 1);
		send(c, reply, rlen, MSG_NOSIGNAL);
	}
	close(c);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pollfd pfd = { .fd = w->fd, .events = POLLIN };

	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	while (!stop) {
		if (poll(&pfd, 1, 100) > 0)
			serve_one(w);
	}
	return NULL;
}

/* Worker @w as a process of its own, holding only its socket. */
static pid_t fork_worker(struct worker *workers, int nworkers, struct worker *w)
{
	pid_t pid = fork();
	int i;

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGTERM);	/* gone with the master */
	for (i = 0; i < nworkers; i++)
		if (&workers[i] != w)
			close(workers[i].fd);
	worker_main(w);
	_exit(0);
}

int main(int argc, char **argv)
{
	int nworkers = 4, pin = 0, forked = 0, base = 0, opt, i;
	pid_t *pids = NULL;
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct sigaction sa = { .sa_handler = on_signal };
	struct echo_addr ea = { .type = SOCK_DGRAM, .family = AF_INET };
	struct worker *workers;
	struct stat st;

	while ((opt = getopt(argc, argv, "t:6a:p:w:cAfb:s")) != -1) {
		switch (opt) {
		case 'w':
			nworkers = atoi(optarg);
			break;
		case 'c':
			pin = 2;
			break;
		case 'A':
			pin = 1;
			break;
		case 'f':
			forked = 1;
			break;
		case 'b':
			base = atoi(optarg);
			break;
		case 's':
			slow_ok = 1;
			break;
		default:
			if (echo_addr_option(opt, optarg, &ea) != 1)
				usage();
		}
	}
	sock_type = ea.type;
	if (nworkers < 1 || nworkers > ECHO_MAX_WORKERS || ea.port < 0 || ea.port > 65535)
		usage();
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	/* shared, so that a forked worker's count reaches the master */
	workers = mmap(NULL, nworkers * sizeof(*workers), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (workers == MAP_FAILED)
		die("mmap");
	for (i = 0; i < nworkers; i++) {
		workers[i].index = base + i;
		workers[i].cpu = pin ? i % ncpus : -1;
		workers[i].fd = open_socket(&ea, pin == 2 ? workers[i].cpu : -1);
		if (fstat(workers[i].fd, &st))
			die("fstat");
		workers[i].inode = st.st_ino;
	}
	if (forked) {
		pids = calloc(nworkers, sizeof(*pids));
		if (!pids)
			die("calloc");
		fflush(stdout);
		for (i = 0; i < nworkers; i++)
			pids[i] = fork_worker(workers, nworkers, &workers[i]);
	} else {
		for (i = 0; i < nworkers; i++)
			if (pthread_create(&workers[i].thread, NULL, worker_main,
					   &workers[i]))
				die("pthread_create");
	}

	printf("ready pid %d port %d workers %d\n", getpid(), ea.port, nworkers);
	fflush(stdout);
	if (forked) {
		while (!stop)
			sleep(1);	/* a signal cuts it short */
		for (i = 0; i < nworkers; i++)
			if (pids[i] > 0)
				kill(pids[i], SIGTERM);
		for (i = 0; i < nworkers; i++)
			if (pids[i] > 0)
				waitpid(pids[i], NULL, 0);
	} else {
		for (i = 0; i < nworkers; i++)
			pthread_join(workers[i].thread, NULL);
	}

	printf("worker inode cpu received\n");
	for (i = 0; i < nworkers; i++)
		printf("%d %llu %d %llu\n", i, workers[i].inode, workers[i].cpu,
		       workers[i].received);
	return 0;
}
