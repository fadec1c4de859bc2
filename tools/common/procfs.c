// SPDX-License-Identifier: GPL-2.0
/* proc_open(): a file of /proc, read a line at a time by its callers. */
#include <stdarg.h>
#include <stdio.h>

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
