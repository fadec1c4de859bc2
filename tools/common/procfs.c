// SPDX-License-Identifier: GPL-2.0
/* What the tools read of /proc: its files, its directories, a socket's inode. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "tools.h"

FILE *proc_open(const char *fmt, ...)
{
	char path[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return fopen(path, "r");
}

DIR *proc_opendir(pid_t pid, const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	return opendir(path);
}

int grow_array(void **v, int *cap, int n, size_t size)
{
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*v, (*cap ? *cap * 2 : 64) * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = *cap ? *cap * 2 : 64;
	return 0;
}

__u64 proc_fd_inode(pid_t pid, long fd)
{
	char path[64], link[64];
	unsigned long long inode;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%ld", pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = '\0';
	return sscanf(link, "socket:[%llu]", &inode) == 1 ? inode : 0;
}
