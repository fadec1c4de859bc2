// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* pcbgroup.ko, seen from the library: is it loaded, register a group with it. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "internal.h"

static const char control_path[] = "/proc/net/" PCBG_PROC_DIR "/" PCBG_PROC_CONTROL;

int pcbg_module_loaded(void)
{
	return access(control_path, F_OK) == 0;
}

int pcbg_control(unsigned long request, void *arg)
{
	/* 0444: the module checks CAP_NET_ADMIN itself (unshare -Urn too) */
	int fd = open(control_path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, request, arg))
		err = -errno;
	close(fd);
	return err;
}

static int set_reg_id(struct pcbg_group_info *info, __u32 id)
{
	info->reg_id = id;
	return 0;
}

int pcbg_group_register(struct pcbg_group *grp, __u32 id)
{
	struct pcbg_register reg = {
		.abi = PCBG_ABI_VERSION,
		.cfg_fd = grp->map_fd[PCBG_M_CFG],
		.group_fd = grp->map_fd[PCBG_M_GROUP],
		.socks_fd = grp->map_fd[PCBG_M_SOCKS],
		.slots_fd = grp->map_fd[PCBG_M_SLOTS],
		.slot_cnt_fd = grp->map_fd[PCBG_M_SLOT_CNT],
		.stats_fd = grp->map_fd[PCBG_M_STATS],
		.cpu_cnt_fd = grp->map_fd[PCBG_M_CPU_CNT],
		.cpu_slots_fd = grp->map_fd[PCBG_M_CPU_SLOTS],
		.load_fd = grp->map_fd[PCBG_M_LOAD],
		.id = id,
	};
	int ret, err;

	if (pcbg_module_nomap())
		ret = pcbg_register_nomap(grp, id);
	else
		ret = pcbg_control(PCBG_IOC_REGISTER, &reg) ?: (int)reg.id;
	if (ret <= 0)
		return ret;
	/* the group keeps its id: pcbg_unpin() names it to the module */
	err = pcbg_group_edit_info(grp, set_reg_id, ret);
	if (err)
		pcbg_control(PCBG_IOC_UNREGISTER, &(__u32){ ret });
	return err ?: ret;
}
