// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libpcbgroup with pcbgroup.ko in no-map mode (include/uapi/pcbgroup.h):
 * the module holds no map, so the tools carry what it would have: the
 * namespace's knobs into each group's config, and each group's counters
 * into the module's tables.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

#define PROC_PCBG	"/proc/net/" PCBG_PROC_DIR "/"

int pcbg_module_nomap(void)
{
	return access(PROC_PCBG PCBG_PROC_KNOBS, F_OK) == 0;
}

int pcbg_module_knobs(int fd, struct pcbg_config *cfg)
{
	char buf[4096], *line, *save, *value;
	int own = fd < 0, err = 0;
	struct pcbg_config c;
	ssize_t n, len = 0;

	if (own)
		fd = open(PROC_PCBG PCBG_PROC_KNOBS, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* from the start: the read that tells the module what was seen */
	if (lseek(fd, 0, SEEK_SET) < 0)
		err = -errno;
	while (!err && len < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)))
		n < 0 ? (err = -errno) : (len += n);
	if (own)
		close(fd);
	if (err)
		return err;
	buf[len] = '\0';
	/* every field of the config is a knob: the file gives them all */
	pcbg_config_default(&c);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		value = strchr(line, ' ');
		if (!value)
			return -EBADMSG;
		*value++ = '\0';
		if (!strcmp(line, "seq"))
			continue;
		err = pcbg_config_set_knob(&c, line, value);
		if (err && err != -ENOENT)	/* a knob newer than this library */
			return -EBADMSG;
	}
	*cfg = c;
	return 0;
}

int pcbg_group_carry_knobs(struct pcbg_group *grp, int fd)
{
	struct pcbg_config cfg;
	int err;

	/* read under the lock: the last to read the knobs writes last */
	err = pcbg_group_lock(grp);
	if (err)
		return err;
	err = pcbg_module_knobs(fd, &cfg);
	if (!err)
		err = pcbg_config_write(grp, &cfg);	/* the module's values, as given */
	pcbg_group_unlock(grp);
	return err;
}

/* What the report holds but the config: identity, counters, live sockets. */
static int report_fill(const struct pcbg_group *grp, struct pcbg_report *rep)
{
	__u32 slot;
	int err;

	err = pcbg_group_info(grp, &rep->info);
	if (!err)
		err = pcbg_group_stats(grp, rep->stats);
	for (slot = 0; !err && slot < rep->info.nr_slots; slot++)
		rep->live += pcbg_group_slot_live(grp, slot) == 1;
	return err;
}

static int report_send(const struct pcbg_group *grp, struct pcbg_report *rep)
{
	int err = pcbg_group_config(grp, &rep->cfg);

	if (!err)
		err = pcbg_control(PCBG_IOC_REPORT, rep);
	return err ? err : (int)rep->id;
}

int pcbg_group_report(const struct pcbg_group *grp, __u32 id)
{
	struct pcbg_report rep = { .abi = PCBG_ABI_VERSION, .id = id };
	int err = report_fill(grp, &rep);

	return err ? err : report_send(grp, &rep);
}

int pcbg_register_nomap(struct pcbg_group *grp, __u32 id)
{
	struct pcbg_report rep = { .abi = PCBG_ABI_VERSION, .id = id };
	int err = report_fill(grp, &rep);

	/* as the module would: a group with no socket is refused */
	if (!err && !rep.live)
		err = -ENOENT;
	if (!err)
		err = pcbg_group_carry_knobs(grp, -1);
	return err ? err : report_send(grp, &rep);
}

/* The id a pinned group was registered under, if the module is in no-map mode. */
__u32 pcbg_nomap_id(const char *dir)
{
	struct pcbg_group_info info;
	struct pcbg_group *grp;
	__u32 id = 0;

	if (!pcbg_module_nomap() || pcbg_group_open_pinned(&grp, dir))
		return 0;
	if (!pcbg_group_info(grp, &info))
		id = info.reg_id;
	pcbg_group_free(grp);
	return id;
}
