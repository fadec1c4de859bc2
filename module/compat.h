/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcbgroup: every kernel version test of the module, in one place.  Each
 * block names the upstream change it follows.  Built (W=1, sparse) and
 * tested against the kernels of scripts/kernels.sh: Debian's 6.1, 6.12 and
 * the newest of trixie-backports (7.3 today), where it builds with no
 * warning and no test beyond those below.
 */
#ifndef _PCBGK_COMPAT_H
#define _PCBGK_COMPAT_H

#include <linux/atomic.h>
#include <linux/bpf.h>
#include <linux/sysctl.h>
#include <linux/version.h>
#include <net/net_namespace.h>

/*
 * The module's only use of LINUX_VERSION_CODE: every test below goes
 * through it.
 */
#define PCBGK_LINUX_AT_LEAST(major, minor) \
	(KERNEL_VERSION(major, minor, 0) <= LINUX_VERSION_CODE)

/*
 * v6.11 78eb4ea25cd5 ("sysctl: treewide: constify the ctl_table argument of
 * proc_handlers"): the handlers' table argument became const.
 */
#if PCBGK_LINUX_AT_LEAST(6, 11)
#define PCBGK_CTL_CONST const
#else
#define PCBGK_CTL_CONST
#endif

/*
 * v6.6 95d4977876d6 ("sysctl: Add size to register_net_sysctl function"):
 * register_net_sysctl() became a macro taking ARRAY_SIZE() of its table,
 * which cannot be used on a kmemdup()'d copy; register_net_sysctl_sz() takes
 * the number of entries instead.  Before it, a table ends with an empty
 * sentinel entry; v6.11 d7a76ec87195 ("sysctl: Remove check for sentinel
 * element in ctl_table arrays") treats such an entry as a real one and
 * fails the registration.  PCBGK_SYSCTL_SENTINEL is the number of sentinel
 * entries a table needs beyond its real ones (left zeroed).
 */
#if PCBGK_LINUX_AT_LEAST(6, 6)
#define PCBGK_SYSCTL_SENTINEL 0
static inline struct ctl_table_header *
pcbgk_register_net_sysctl(struct net *net, const char *path,
			  struct ctl_table *table, size_t n)
{
	return register_net_sysctl_sz(net, path, table, n);
}
#else
#define PCBGK_SYSCTL_SENTINEL 1
static inline struct ctl_table_header *
pcbgk_register_net_sysctl(struct net *net, const char *path,
			  struct ctl_table *table, size_t n)
{
	return register_net_sysctl(net, path, table);
}
#endif

/*
 * bpf_map_get(), which takes the module's references on a group's maps, is
 * exported in the BPF_INTERNAL namespace since v6.15 f88886de0927 ("bpf:
 * Add namespace to BPF internal symbols"), backported to 6.12.y (Debian's
 * 6.12 has it) and possibly to other stable series: the module imports the
 * namespace on every kernel, which is harmless where it does not exist.
 * v6.13 cdd30ebb1b9f ("module: Convert symbol namespace to string literal")
 * changed MODULE_IMPORT_NS() to take a string.
 *
 * Where the kernel's Module.symvers has no export of bpf_map_get() that any
 * module may import (none, or one for named modules only: the "module:"
 * namespace of EXPORT_SYMBOL_FOR_MODULES(), include/linux/export.h of 7.x),
 * module/Kbuild defines PCBGK_NO_MAP_GET: the module is built without it,
 * in no-map mode only (maps=0, see main.c).
 */
#ifdef PCBGK_NO_MAP_GET
#define PCBGK_HAVE_MAP_GET false
static inline struct bpf_map *pcbgk_bpf_map_get(u32 fd)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void pcbgk_bpf_map_put(struct bpf_map *map)
{
}
#else
#define PCBGK_HAVE_MAP_GET true
#define pcbgk_bpf_map_get bpf_map_get
#define pcbgk_bpf_map_put bpf_map_put
#if PCBGK_LINUX_AT_LEAST(6, 13)
#define PCBGK_BPF_NS "BPF_INTERNAL"
#else
#define PCBGK_BPF_NS BPF_INTERNAL
#endif
#endif

/*
 * struct bpf_map's reference count: atomic64_t since v5.5 1e0bd5a091e5
 * ("bpf: Switch bpf_map ref counter to atomic64_t so bpf_map_inc() never
 * fails"); the same field on 6.1, 6.12 and 7.3.  It counts every holder: file
 * descriptors, bpffs pins, programs using the map, and the module.
 */
static inline s64 pcbgk_map_refcnt(const struct bpf_map *map)
{
	return atomic64_read(&map->refcnt);
}

#endif /* _PCBGK_COMPAT_H */
