/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What echo_server answers and loadgen reads: "worker=<index>\n", so the
 * client side can count where each flow landed.
 */
#ifndef PCBG_ECHO_PROTO_H
#define PCBG_ECHO_PROTO_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#endif
