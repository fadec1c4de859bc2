// SPDX-License-Identifier: GPL-2.0
/*
 * A program built the way a user of the installed libpcbgroup builds one:
 * only <pcbgroup.h> and `pkg-config --cflags --libs pcbgroup`.  It makes a
 * UDP group of two sockets on 127.0.0.1, drains the first and checks that
 * every datagram reaches the second and is counted.  Run in its own network
 * namespace (loopback up), as root.  Exit 0 when steered, 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <pcbgroup.h>

#define PORT	9000
#define SENDS	50

static int udp_server(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int fd, one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		return -1;
	return fd;
}

static int drain_count(int fd)
{
	char buf[16];
	int n = 0;

	while (recv(fd, buf, sizeof(buf), 0) >= 0)
		n++;
	return n;
}

int main(void)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	__u64 stats[PCBG_STAT_NR];
	struct pcbg_group *grp;
	int fd[2], got[2], i, err;

	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd[0] = udp_server();
	fd[1] = udp_server();
	if (fd[0] < 0 || fd[1] < 0) {
		perror("consumer: socket");
		return 1;
	}
	err = pcbg_group_create(&grp, 16);
	if (!err)
		err = pcbg_group_add_socket(grp, fd[0], -1, 0) != 0;
	if (!err)
		err = pcbg_group_add_socket(grp, fd[1], -1, 0) != 1;
	if (!err)
		err = pcbg_group_attach(grp, fd[0]);
	if (!err)
		err = pcbg_group_drain(grp, 0, 1);
	if (err) {
		fprintf(stderr, "consumer: libpcbgroup: %s\n", strerror(err < 0 ? -err : EINVAL));
		return 1;
	}
	for (i = 0; i < SENDS; i++) {
		int c = socket(AF_INET, SOCK_DGRAM, 0);

		if (c < 0 || sendto(c, "x", 1, 0, (struct sockaddr *)&dst, sizeof(dst)) != 1) {
			perror("consumer: sendto");
			return 1;
		}
		close(c);
	}
	usleep(100000);
	got[0] = drain_count(fd[0]);
	got[1] = drain_count(fd[1]);
	err = pcbg_group_stats(grp, stats);
	printf("consumer: socket 0 (drained) got %d, socket 1 got %d, selected %llu of %d\n",
	       got[0], got[1], err ? 0ULL : (unsigned long long)stats[PCBG_STAT_SELECTED], SENDS);
	pcbg_group_free(grp);
	return !(got[0] == 0 && got[1] == SENDS && !err && stats[PCBG_STAT_SELECTED] == SENDS);
}
