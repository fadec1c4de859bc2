// SPDX-License-Identifier: GPL-2.0
/*
 * pr_err(), the one logging helper of pcbgroupctl and pcbgroupd: one line
 * on stderr, "PROGRAM: CMD: message", whatever it echoes.  Control
 * characters (a newline in a value, an escape sequence from a file or a
 * process name) are written as \n, \t, \xHH, so that a log line cannot be
 * forged or split by what it quotes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>

#include "tools.h"

const char *log_prog = "pcbgroup";
int log_muted;
int log_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (log_verbose < (level == LIBBPF_DEBUG ? 2 : 1))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void log_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

void pr_err(const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	const unsigned char *p;
	va_list ap;
	int n;

	if (log_muted)
		return;
	n = *cmd ? snprintf(msg, sizeof(msg), "%s: ", cmd) : 0;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof(msg))
		vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: ", log_prog);
	for (p = (const unsigned char *)msg; *p; p++) {
		if (*p == '\n')
			fputs("\\n", stderr);
		else if (*p == '\t')
			fputs("\\t", stderr);
		else if (*p < 0x20 || *p == 0x7f || *p == '\\')
			fprintf(stderr, *p == '\\' ? "\\\\" : "\\x%02x", *p);
		else
			fputc(*p, stderr);
	}
	fputc('\n', stderr);
}
