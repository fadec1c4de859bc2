// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroup: module init and exit.
 *
 * The module is the control and observability plane of the SK_REUSEPORT
 * program (bpf/pcbgroup.bpf.c), never on the packet path: per-namespace
 * knobs in /proc/sys/net/pcbgroup/ copied into the config map of every
 * registered group, and tables in /proc/net/pcbgroup/.
 *
 * Names: pcbgk_ is the module's own prefix; pcbg_ is the shared UAPI's
 * (include/uapi/pcbgroup.h) and libpcbgroup's.
 */
#include <linux/init.h>
#include <linux/module.h>

#include "compat.h"
#include "group.h"
#include "pernet.h"
#include "proc.h"

/*
 * maps=0, no-map mode: the module holds no map and never calls
 * bpf_map_get(); the tools copy the knobs into the maps and report the
 * counters (include/uapi/pcbgroup.h, docs/design.md).  The only mode of a
 * module built without bpf_map_get() (compat.h).  Fixed at load.
 */
bool pcbgk_maps = PCBGK_HAVE_MAP_GET;
module_param_named(maps, pcbgk_maps, bool, 0444);
MODULE_PARM_DESC(maps, "hold the groups' BPF maps (default 1 where bpf_map_get is exported); 0: the tools carry knobs and counters");

static int __init pcbgk_init(void)
{
	int err;

	if (pcbgk_maps && !PCBGK_HAVE_MAP_GET) {
		pr_err("maps=1: built without bpf_map_get, load with maps=0\n");
		return -EINVAL;
	}
	err = pcbgk_pernet_init();
	if (err)
		return err;
	err = pcbgk_proc_init();
	if (err)
		goto err_unregister_pernet;
	/*
	 * The module cannot find the groups pinned in bpffs (a mount, in a
	 * mount namespace, that it does not know): the tools hand them over.
	 */
	pr_info("loaded%s; groups pinned before: run 'pcbgroupctl register --all' in their network namespace\n",
		pcbgk_maps ? "" : " in no-map mode");
	return 0;

err_unregister_pernet:
	pcbgk_pernet_exit();
	return err;
}

static void __exit pcbgk_exit(void)
{
	pcbgk_proc_exit();
	pcbgk_pernet_exit();
	/* every namespace's groups were released */
	WARN_ON_ONCE(!pcbgk_registry_empty());
}

module_init(pcbgk_init);
module_exit(pcbgk_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("SO_REUSEPORT group steering: knobs and tables");
MODULE_AUTHOR("pcbgroup developers");
#ifdef PCBG_VERSION
/* the package's, from module/Kbuild */
MODULE_VERSION(PCBG_VERSION);
#endif
#ifndef PCBGK_NO_MAP_GET
/* bpf_map_get(), see compat.h */
MODULE_IMPORT_NS(PCBGK_BPF_NS);
#endif
