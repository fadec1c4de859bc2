/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A network namespace of one's own, for the tests (selftests/lib.h) and the
 * benchmarks (bench/common.c): they run on its loopback.
 */
#ifndef PCBG_SELFTESTS_NETNS_H
#define PCBG_SELFTESTS_NETNS_H

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

/* The loopback of this network namespace up. */
static inline int loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			err = -errno;
	}
	close(fd);
	return err;
}

/* Own network and mount namespace: loopback up, bpffs on /sys/fs/bpf. */
static inline int setup_namespaces(void)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS))
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	return loopback_up();
}

#endif
