/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What echo_server answers and loadgen reads: "worker=<index>\n", so the
 * client side can count where each flow landed.
 */
#ifndef PCBG_ECHO_PROTO_H
#define PCBG_ECHO_PROTO_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ECHO_REPLY_FMT	"worker=%d\n"
#define ECHO_MAX_WORKERS	4096

static inline int echo_reply_worker(const char *buf, size_t len)
{
	char tmp[32];
	int w;

	if (len >= sizeof(tmp))
		return -1;
	memcpy(tmp, buf, len);
	tmp[len] = '\0';
	return sscanf(tmp, ECHO_REPLY_FMT, &w) == 1 ? w : -1;
}

/* Where both talk: -t tcp|udp, -6, -a ADDR, -p PORT. */
struct echo_addr {
	int type;		/* SOCK_DGRAM or SOCK_STREAM */
	int family;		/* AF_INET or AF_INET6 */
	const char *addr;	/* NULL: the wildcard, or loopback for loadgen */
	int port;
};

/* 1 if getopt's @opt is one of those (set in @ea), 0 if not, -1 if bad. */
static inline int echo_addr_option(int opt, const char *arg, struct echo_addr *ea)
{
	switch (opt) {
	case 't':
		if (!strcmp(arg, "tcp"))
			ea->type = SOCK_STREAM;
		else if (strcmp(arg, "udp"))
			return -1;
		return 1;
	case '6':
		ea->family = AF_INET6;
		return 1;
	case 'a':
		ea->addr = arg;
		return 1;
	case 'p':
		ea->port = atoi(arg);
		return 1;
	}
	return 0;
}

/* @addr port @port of @family (AF_INET or AF_INET6) into @ss: its length, 0 if no address. */
static inline socklen_t echo_sockaddr(struct sockaddr_storage *ss, int family, const char *addr,
				      int port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return inet_pton(AF_INET, addr, &sin->sin_addr) == 1 ? sizeof(*sin) : 0;
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	return inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1 ? sizeof(*sin6) : 0;
}

#endif
