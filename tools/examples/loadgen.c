// SPDX-License-Identifier: GPL-2.0
/*
 * loadgen: open F flows (a new socket, so a new source port, each) to an
 * echo_server and count which worker answered each.  Bounded: every flow
 * waits at most -T milliseconds for its answer.
 *
 *   loadgen -t tcp|udp [-6] [-a ADDR] -p PORT [-n FLOWS] [-T MS] [-q]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_proto.h"

static void usage(void)
{
	fprintf(stderr, "%s\n",
		"usage: loadgen -t tcp|udp [-6] [-a ADDR] -p PORT [-n FLOWS] [-T MS] [-q]");
	exit(2);
}

/* One flow: returns the worker that answered, or -1. */
static int one_flow(int family, int type, const struct sockaddr *dst,
		    socklen_t dlen, int timeout_ms)
{
	char buf[64];
	int fd, n, w = -1, tries;

	fd = socket(family, type, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, dst, dlen))
		goto out;
	/* UDP gets three tries: a datagram may meet a full receive queue */
	for (tries = type == SOCK_DGRAM ? 3 : 1; tries > 0 && w < 0; tries--) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (send(fd, "hello\n", 6, MSG_NOSIGNAL) != 6)
			break;
		if (poll(&pfd, 1, timeout_ms) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0)
			w = echo_reply_worker(buf, n);
	}
out:
	close(fd);
	return w;
}

int main(int argc, char **argv)
{
	int flows = 1000, timeout_ms = 1000, quiet = 0, opt, i, w, max_w = -1;
	static unsigned long long per_worker[ECHO_MAX_WORKERS];
	unsigned long long answered = 0;
	struct sockaddr_storage ss = {};
	struct echo_addr ea = { .type = SOCK_DGRAM, .family = AF_INET };
	socklen_t dlen;

	while ((opt = getopt(argc, argv, "t:6a:p:n:T:q")) != -1) {
		switch (opt) {
		case 'n':
			flows = atoi(optarg);
			break;
		case 'T':
			timeout_ms = atoi(optarg);
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			if (echo_addr_option(opt, optarg, &ea) != 1)
				usage();
		}
	}
	if (ea.port <= 0 || ea.port > 65535 || flows < 1 || timeout_ms < 1)
		usage();
	dlen = echo_sockaddr(&ss, ea.family,
			     ea.addr ?: (ea.family == AF_INET ? "127.0.0.1" : "::1"), ea.port);
	if (!dlen)
		usage();

	for (i = 0; i < flows; i++) {
		w = one_flow(ea.family, ea.type, (struct sockaddr *)&ss, dlen, timeout_ms);
		if (w < 0 || w >= ECHO_MAX_WORKERS)
			continue;
		per_worker[w]++;
		answered++;
		if (w > max_w)
			max_w = w;
	}
	printf("flows %d answered %llu lost %llu\n", flows, answered, flows - answered);
	if (!quiet) {
		printf("worker answered\n");
		for (w = 0; w <= max_w; w++)
			printf("%d %llu\n", w, per_worker[w]);
	}
	return answered == (unsigned long long)flows ? 0 : 1;
}
