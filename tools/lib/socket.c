// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* What a socket descriptor is, asked of the kernel (pcbg_socket_describe()). */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "internal.h"

static int sockopt_int(int fd, int name, int *val)
{
	socklen_t len = sizeof(*val);

	return getsockopt(fd, SOL_SOCKET, name, val, &len) ? -errno : 0;
}

int pcbg_socket_describe(int fd, struct pcbg_socket_desc *desc)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct stat st;
	int err;

	memset(desc, 0, sizeof(*desc));
	if (fstat(fd, &st))
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	desc->inode = st.st_ino;

	if (sockopt_int(fd, SO_INCOMING_CPU, &desc->incoming_cpu))
		desc->incoming_cpu = -1;
	err = sockopt_int(fd, SO_DOMAIN, &desc->family);
	if (!err)
		err = sockopt_int(fd, SO_TYPE, &desc->type);
	if (!err)
		err = sockopt_int(fd, SO_PROTOCOL, &desc->protocol);
	if (!err)
		err = sockopt_int(fd, SO_REUSEPORT, &desc->reuseport);
	if (!err)
		err = sockopt_int(fd, SO_ACCEPTCONN, &desc->listening);
	if (err)
		return err;
	len = sizeof(desc->cookie);
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &desc->cookie, &len))
		return -errno;
	if (desc->family != AF_INET && desc->family != AF_INET6)
		return 0;

	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		desc->port = ntohs(sin->sin_port);
		memcpy(desc->addr, &sin->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		desc->port = ntohs(sin6->sin6_port);
		memcpy(desc->addr, &sin6->sin6_addr, 16);
	}
	return 0;
}
