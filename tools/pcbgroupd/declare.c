// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroupd's declarations: one group per file, /etc/pcbgroup/NAME.conf,
 * "key = value" lines, '#' comments (a line of its own, or after a value and
 * a blank: "port = 443   # https").  Parsed strictly: an unknown or
 * repeated key, a bad value or a missing one is an error naming the file and
 * line, and that file is skipped while the others load.
 *
 *     port = 8080                 # required
 *     proto = udp                 # required: tcp or udp
 *     address = 0.0.0.0           # optional: only sockets bound to it
 *     process = nginx             # one of: process (its comm), pidfile, unit
 *     user = root,www-data        # optional: the owners accepted (finder.c)
 *     netns = blue                # optional: ip netns's /run/netns/blue
 *     cgroup = machine.slice/libpod-*.scope  # or: a group per cgroup matched
 *     algorithm = maglev          # knobs, as pcbgroupctl set takes them
 *     capacity = 64               # slots (default 4096)
 *     flow_entries = 1048576      # flow table (default 262144 with flow_table = 1)
 *     keep_waiting = yes          # keep the group when its sockets are gone
 *     join_weight = 5             # the weight of a socket joining live ones
 *
 * The files are root's configuration, read by root: each is opened in the
 * directory's fd without following a symbolic link and without blocking,
 * and refused, named but never shown, unless it is a regular file owned by
 * root, not writable by group or others, and at most DECL_FILE_MAX bytes.
 * A FIFO, a device or a link planted there cannot hang a check or a reload,
 * nor have another file's contents printed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/stat.h>

/* Bytes a declaration may have: a few dozen lines are plenty. */
#define DECL_FILE_MAX		65536
#define DECL_FILE_MAX_TEXT	"65536"

#include "pcbgroupd.h"

static int bad(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pcbgroupd: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* @v without its comment: from the first '#' that follows a blank. */
static char *cut_comment(char *v)
{
	char *p;

	for (p = v; *p; p++)
		if (*p == '#' && (p == v || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			break;
		}
	return v;
}

/* Printable, no blank: what the state file and the logs can carry. */
static int plain(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (!n || n >= max)
		return 0;
	for (i = 0; i < n; i++)
		if (!isgraph((unsigned char)s[i]))
			return 0;
	return 1;
}

static int yes_no(const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "true"))
		*out = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "false"))
		*out = 0;
	else
		return -1;
	return 0;
}

/* "root,www-data" or uids into d->users; -1 if one is unknown. */
static int parse_users(struct decl *d, const char *v)
{
	char buf[256], *tok, *save, *end;
	struct passwd *pw;
	unsigned long uid;

	if (strlen(v) >= sizeof(buf))
		return -1;
	strcpy(buf, v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (d->nr_users == DECL_MAX_USERS)
			return -1;
		errno = 0;
		uid = strtoul(tok, &end, 10);
		pw = *end || end == tok ? getpwnam(tok) : NULL;
		if (pw)
			uid = pw->pw_uid;
		else if (*end || end == tok || errno || *tok == '-' || uid >= (uid_t)-1)
			return -1;
		d->users[d->nr_users++] = uid;
	}
	return d->nr_users ? 0 : -1;
}

/* A cgroup pattern: relative, no "." or ".." component, glob allowed. */
static int cgroup_pattern(const char *v)
{
	const char *p = v;

	if (*v == '/')
		return 0;
	while (*p) {
		size_t len = strcspn(p, "/");

		if (!len || (len == 1 && p[0] == '.') || (len == 2 && !strncmp(p, "..", 2)))
			return 0;
		p += len + !!p[len];
	}
	return 1;
}

static int parse_value(struct decl *d, const char *file, int line, const char *key,
		       const char *v)
{
	struct group_settings probe;
	unsigned long n;
	int err;

	if (!strcmp(key, "port")) {
		if (parse_uint(v, 65535, &n) || !n)
			return bad(file, line, "port: '%s' is not a port (1-65535)", v);
		d->port = n;
		d->port_line = line;
	} else if (!strcmp(key, "proto")) {
		if (!strcmp(v, "tcp"))
			d->protocol = IPPROTO_TCP;
		else if (!strcmp(v, "udp"))
			d->protocol = IPPROTO_UDP;
		else
			return bad(file, line, "proto: '%s' is not tcp or udp", v);
	} else if (!strcmp(key, "address")) {
		if (inet_pton(AF_INET, v, d->addr) == 1)
			d->family = AF_INET;
		else if (inet_pton(AF_INET6, v, d->addr) == 1)
			d->family = AF_INET6;
		else
			return bad(file, line, "address: '%s' is not an IPv4 or IPv6 address", v);
	} else if (!strcmp(key, "process") || !strcmp(key, "pidfile") ||
		   !strcmp(key, "unit")) {
		if (d->finder)
			return bad(file, line, "%s: the sockets are already found by %s", key,
				   finder_name(d->finder));
		if (!plain(v, sizeof(d->target)) ||
		    (!strcmp(key, "pidfile") && v[0] != '/') ||
		    (!strcmp(key, "process") && strlen(v) > 15))
			return bad(file, line, "%s: '%s' is not a %s", key, v,
				   !strcmp(key, "pidfile") ? "path (absolute)" :
				   !strcmp(key, "unit") ? "unit name" :
				   "process name (its comm, at most 15 characters)");
		d->finder = !strcmp(key, "process") ? FIND_PROCESS :
			    !strcmp(key, "pidfile") ? FIND_PIDFILE : FIND_UNIT;
		strcpy(d->target, v);
	} else if (!strcmp(key, "user")) {
		if (!plain(v, 256) || parse_users(d, v))
			return bad(file, line, "user: '%s' is not a list of users (at most %d, "
				   "names or uids, comma-separated)", v, DECL_MAX_USERS);
	} else if (!strcmp(key, "netns")) {
		if (!plain(v, sizeof(d->netns)) || strchr(v, '/') || !strcmp(v, ".") ||
		    !strcmp(v, ".."))
			return bad(file, line, "netns: '%s' is not a name of " NETNS_DIR, v);
		strcpy(d->netns, v);
	} else if (!strcmp(key, "cgroup")) {
		if (!plain(v, sizeof(d->cgroup)) || !cgroup_pattern(v))
			return bad(file, line, "cgroup: '%s' is not a cgroup path or pattern "
				   "relative to " CGROUP_ROOT, v);
		strcpy(d->cgroup, v);
	} else if (!strcmp(key, "capacity")) {
		if (parse_uint(v, PCBG_SLOTS_LIMIT, &n) || !n)
			return bad(file, line, "capacity: '%s' is not 1-%d", v, PCBG_SLOTS_LIMIT);
		d->capacity = n;
	} else if (!strcmp(key, "join_weight")) {
		if (parse_uint(v, PCBG_WEIGHT_MAX, &n))
			return bad(file, line, "join_weight: '%s' is not a weight (0-%d)", v,
				   PCBG_WEIGHT_MAX);
		d->join_weighs = 1;
		d->join_weight = n;
	} else if (!strcmp(key, "flow_entries")) {
		if (pcbg_parse_flow_entries(v, &d->flow_entries))
			return bad(file, line, "flow_entries: '%s' is not %u-%u", v,
				   PCBG_FLOWS_MIN, PCBG_FLOWS_MAX);
	} else if (!strcmp(key, "keep_waiting")) {
		if (yes_no(v, &d->keep_waiting))
			return bad(file, line, "keep_waiting: '%s' is not yes or no", v);
	} else {
		settings_start(&probe, NULL);
		err = settings_add(&probe, key, v);
		if (err == -ENOENT)
			return bad(file, line, "'%s': no such key", key);
		if (err)
			return bad(file, line, "%s: invalid value '%s'", key, v);
		if (d->nr_knobs == DECL_MAX_KNOBS)
			return bad(file, line, "too many knobs");
		snprintf(d->knobs[d->nr_knobs].name, sizeof(d->knobs[0].name), "%s", key);
		snprintf(d->knobs[d->nr_knobs].value, sizeof(d->knobs[0].value), "%s", v);
		d->nr_knobs++;
	}
	return 0;
}

/* A TCP declaration that routes QUIC connection IDs? */
static int quic_on_tcp(const struct decl *d)
{
	int i;

	for (i = 0; i < d->nr_knobs && d->protocol == IPPROTO_TCP; i++)
		if (!strcmp(d->knobs[i].name, "quic_cid_len") && strcmp(d->knobs[i].value, "0"))
			return 1;
	return 0;
}

const char *finder_name(int finder)
{
	return finder == FIND_PROCESS ? "process" : finder == FIND_PIDFILE ? "pidfile" :
	       finder == FIND_UNIT ? "unit" : "nothing";
}

/* Why a file (or directory) of @st is not trusted, or NULL. */
static const char *untrusted(const struct stat *st, int want_dir)
{
	if (want_dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
		return want_dir ? "not a directory: refused" : "not a regular file: refused";
	if (st->st_uid != 0)
		return "not owned by root: refused";
	/* who may write there may change what it says */
	if (st->st_mode & 0022)
		return "writable by group or others: refused";
	return NULL;
}

/*
 * The contents of @name in @dirfd, if the file may be trusted (see the
 * top): a stream over a copy of them, or NULL (said why, naming @path).
 */
static FILE *open_declaration(int dirfd, const char *name, const char *path)
{
	const char *why = NULL;
	ssize_t n, len = 0;
	char *text = NULL;
	FILE *f = NULL;
	struct stat st;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		bad(path, 0, "%s", errno == ELOOP ? "a symbolic link: refused" : strerror(errno));
		return NULL;
	}
	why = fstat(fd, &st) ? strerror(errno) : untrusted(&st, 0);
	if (!why) {
		text = malloc(DECL_FILE_MAX + 1);
		why = text ? NULL : strerror(ENOMEM);
	}
	/* one byte more than allowed tells a file that grew past it */
	while (!why && len <= DECL_FILE_MAX) {
		n = read(fd, text + len, DECL_FILE_MAX + 1 - len);
		if (!n)
			break;
		if (n < 0 && errno != EINTR)
			why = strerror(errno);
		len += n > 0 ? n : 0;
	}
	close(fd);
	if (!why && len > DECL_FILE_MAX)
		why = "larger than " DECL_FILE_MAX_TEXT " bytes: refused";
	/* the stream owns its copy: fclose() frees it */
	if (!why) {
		f = fmemopen(NULL, len + 1, "w+");
		if (!f || fwrite(text, 1, len, f) != (size_t)len || fseek(f, 0, SEEK_SET))
			why = strerror(errno);
	}
	free(text);
	if (why) {
		if (f)
			fclose(f);
		bad(path, 0, "%s", why);
		return NULL;
	}
	return f;
}

/*
 * Line @nr of @path into @d (@cut: it did not fit), its key added to the
 * @nseen keys @seen so far; -1 (said why) if bad.
 */
static int parse_line(struct decl *d, const char *path, int nr, char *line, int cut,
		      char seen[][32], int *nseen)
{
	char *p, *eq, *key, *val;
	int i;

	if (cut)
		return bad(path, nr, "line too long");
	p = trim(line);
	if (!*p || *p == '#')
		return 0;
	eq = strchr(p, '=');
	if (!eq)
		return bad(path, nr, "expected key = value");
	*eq = '\0';
	key = trim(p);
	val = trim(cut_comment(eq + 1));
	if (!*key || !*val)
		return bad(path, nr, "expected key = value");
	for (i = 0; i < *nseen; i++)
		if (!strcmp(seen[i], key))
			return bad(path, nr, "%s: given twice", key);
	if (*nseen < 32)
		snprintf(seen[(*nseen)++], sizeof(seen[0]), "%.31s", key);
	return parse_value(d, path, nr, key, val);
}

/* The declaration @name in @dirfd (@path), named after it; -1 (said why) if bad. */
static int parse_file(int dirfd, const char *name, const char *path, struct decl *d)
{
	char line[1024], seen[32][32];
	int nr = 0, nseen = 0, err = 0;
	FILE *f;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%.*s", (int)(strlen(name) - 5), name);
	if (!plain(d->name, sizeof(d->name)) || strlen(name) - 5 >= sizeof(d->name))
		return bad(path, 0, "the file name is not a usable group name");
	f = open_declaration(dirfd, name, path);
	if (!f)
		return -1;
	while (!err && fgets(line, sizeof(line), f))
		err = parse_line(d, path, ++nr, line, !strchr(line, '\n') && !feof(f), seen,
				 &nseen);
	fclose(f);
	if (err)
		return -1;
	if (!d->port)
		return bad(path, nr, "port: missing");
	if (!d->protocol)
		return bad(path, nr, "proto: missing");
	if (!d->finder && !d->cgroup[0])
		return bad(path, nr, "one of process, pidfile, unit or cgroup is required");
	/* cgroup names the namespace and the processes: process may narrow them */
	if (d->cgroup[0] && (d->netns[0] || (d->finder && d->finder != FIND_PROCESS)))
		return bad(path, nr, "cgroup: goes with process only, not with %s",
			   d->netns[0] ? "netns" : finder_name(d->finder));
	return quic_on_tcp(d) ? bad(path, nr, "quic_cid_len: a UDP group's only") : 0;
}

/* Can @a and @b name one namespace?  (A pid file's is only known at run time.) */
static int same_place(const struct decl *a, const struct decl *b)
{
	if (a->finder == FIND_PIDFILE && b->finder == FIND_PIDFILE && !a->netns[0] &&
	    !b->netns[0])
		return !strcmp(a->target, b->target);
	return !strcmp(a->netns, b->netns) && !strcmp(a->cgroup, b->cgroup);
}

/* NAME.conf, NAME not hidden. */
static int is_declaration(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return e->d_name[0] != '.' && n > 5 && !strcmp(e->d_name + n - 5, ".conf");
}

int load_declarations(const char *dir, int missing_ok, struct decl **decls, int *nbad)
{
	struct dirent **names = NULL;
	char path[PATH_MAX];
	const char *why;
	struct decl *out;
	struct stat st;
	int n = 0, k, i, nr, dirfd;

	*decls = NULL;
	*nbad = 0;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	why = dirfd < 0 ? NULL : fstat(dirfd, &st) ? strerror(errno) : untrusted(&st, 1);
	if (why) {
		fprintf(stderr, "pcbgroupd: %s: %s\n", dir, why);
		close(dirfd);
		return -1;
	}
	nr = dirfd < 0 ? -1 : scandirat(dirfd, ".", &names, is_declaration, alphasort);
	if (nr < 0) {
		if (dirfd >= 0)
			close(dirfd);
		if (errno == ENOENT && missing_ok) {
			fprintf(stderr, "pcbgroupd: %s: no such directory: no declarations\n", dir);
			*decls = calloc(1, sizeof(**decls));
			return *decls ? 0 : -1;
		}
		fprintf(stderr, "pcbgroupd: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	out = calloc(nr ? nr : 1, sizeof(*out));
	for (i = 0; out && i < nr; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (parse_file(dirfd, names[i]->d_name, path, &out[n])) {
			(*nbad)++;
			continue;
		}
		/*
		 * two declarations of one socket address in one place would
		 * fight over it; two pid files may name two namespaces
		 */
		for (k = 0; k < n; k++)
			if (same_place(&out[k], &out[n]) &&
			    out[k].port == out[n].port && out[k].protocol == out[n].protocol &&
			    (!out[k].family || !out[n].family ||
			     (out[k].family == out[n].family &&
			      !memcmp(out[k].addr, out[n].addr, 16))))
				break;
		if (k < n) {
			(*nbad)++;
			bad(path, out[n].port_line, "%s port %u is already declared by %s",
			    out[n].protocol == IPPROTO_TCP ? "tcp" : "udp", out[n].port,
			    out[k].name);
			continue;
		}
		n++;
	}
	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	close(dirfd);
	*decls = out;
	return out ? n : -1;
}
