/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the tests of pcbgroup.ko (run in virtme-ng guests): sysctl and
 * /proc/net/pcbgroup access.
 */
#ifndef PCBG_SELFTESTS_MODLIB_H
#define PCBG_SELFTESTS_MODLIB_H

#include "lib.h"

#define SYSCTL_DIR	"/proc/sys/" PCBG_SYSCTL_PATH
#define PROC_DIR	"/proc/net/" PCBG_PROC_DIR

/* Skip the test when the module is not loaded (the host cannot load it). */
#define REQUIRE_MODULE() do { \
	if (access(SYSCTL_DIR, F_OK)) \
		SKIP(return, "pcbgroup.ko is not loaded"); \
} while (0)

/* Read knob @name into @buf without the newline; 0 or -errno. */
static inline int knob_read(const char *name, char *buf, size_t size)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYSCTL_DIR "/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* Write @value to knob @name; 0 or -errno of open() or write(). */
static inline int knob_write(const char *name, const char *value)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYSCTL_DIR "/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/* The whole of /proc/net/pcbgroup/@table into @buf; length or -errno. */
static inline int proc_table(const char *table, char *buf, size_t size)
{
	char path[256];
	ssize_t n, len = 0;
	int fd;

	snprintf(path, sizeof(path), PROC_DIR "/%s", table);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	while (len < (ssize_t)size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return len;
}

/* A row of the groups table. */
struct groups_row {
	unsigned int id;
	char proto[8];
	char local[64];
	unsigned int sockets;
	char algorithm[32];
	unsigned int cpu_bits;
	unsigned long long selected;
	unsigned long long fallbacks;
};

/* Parse the groups table: header, then rows; returns the rows or -1. */
static inline int groups_rows(struct groups_row *rows, int max)
{
	static char buf[65536];
	char *line, *save;
	int n = 0;

	if (proc_table("groups", buf, sizeof(buf)) < 0)
		return -1;
	line = strtok_r(buf, "\n", &save);
	if (!line || strncmp(line, "id", 2))
		return -1;
	while ((line = strtok_r(NULL, "\n", &save)) && n < max) {
		struct groups_row *r = &rows[n];

		if (sscanf(line, "%u %7s %63s %u %31s %u %llu %llu", &r->id, r->proto,
			   r->local, &r->sockets, r->algorithm, &r->cpu_bits,
			   &r->selected, &r->fallbacks) != 8)
			return -1;
		n++;
	}
	return n;
}

/* A row of the sockets table. */
struct sockets_row {
	unsigned int group;
	unsigned int slot;
	unsigned long long inode;
	int cpu;
	unsigned long long selected;
};

/* A row of the cpus table. */
struct cpus_row {
	int cpu;
	unsigned int group;
	char slots[512];
	unsigned long long local;
	unsigned long long misses;
	unsigned long long selected;
};

static inline int cpus_rows(struct cpus_row *rows, int max)
{
	static char buf[1 << 16];
	char *line, *save;
	int n = 0;

	if (proc_table("cpus", buf, sizeof(buf)) < 0)
		return -1;
	line = strtok_r(buf, "\n", &save);
	if (!line || strncmp(line, "cpu", 3))
		return -1;
	while ((line = strtok_r(NULL, "\n", &save)) && n < max) {
		struct cpus_row *r = &rows[n];

		if (sscanf(line, "%d %u %511s %llu %llu %llu", &r->cpu, &r->group, r->slots,
			   &r->local, &r->misses, &r->selected) != 6)
			return -1;
		n++;
	}
	return n;
}

static inline int sockets_rows(struct sockets_row *rows, int max)
{
	static char buf[1 << 20];
	char *line, *save;
	int n = 0;

	if (proc_table("sockets", buf, sizeof(buf)) < 0)
		return -1;
	line = strtok_r(buf, "\n", &save);
	if (!line || strncmp(line, "group", 5))
		return -1;
	while ((line = strtok_r(NULL, "\n", &save)) && n < max) {
		struct sockets_row *r = &rows[n];

		if (sscanf(line, "%u %u %llu %d %llu", &r->group, &r->slot, &r->inode,
			   &r->cpu, &r->selected) != 5)
			return -1;
		n++;
	}
	return n;
}

#endif
