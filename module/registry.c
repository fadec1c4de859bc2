// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroup: every registered map, in every namespace, by map id (maps mode).
 *
 * Every map of a group must be distinct and held by no other group, in any
 * namespace: the registry holds each registered map once, so that the
 * module's own reference is exactly one and a dead group can be told by
 * its references alone (group_maps.c).  A map's id stays while the module
 * holds its reference.
 */
#include <linux/bpf.h>
#include <linux/xarray.h>

#include "group.h"

static DEFINE_XARRAY(pcbgk_registry);

/**
 * pcbgk_registry_add() - enter a group's maps in the registry.
 * @maps: the group's maps, PCBG_M_MODULE_NR of them.
 * @owner: the group, as the registry's value.
 *
 * Return: 0 with all of them entered, or -EEXIST (a map is registered
 * already, in any namespace) or -ENOMEM with none.
 */
int pcbgk_registry_add(struct bpf_map *const *maps, void *owner)
{
	int i, err;

	for (i = 0; i < PCBG_M_MODULE_NR; i++) {
		err = xa_insert(&pcbgk_registry, maps[i]->id, owner, GFP_KERNEL);
		if (err) {
			while (i--)
				xa_erase(&pcbgk_registry, maps[i]->id);
			return err == -EBUSY ? -EEXIST : err;
		}
	}
	return 0;
}

/**
 * pcbgk_registry_del() - take a group's maps out of the registry.
 * @maps: the maps pcbgk_registry_add() entered.
 */
void pcbgk_registry_del(struct bpf_map *const *maps)
{
	int i;

	for (i = 0; i < PCBG_M_MODULE_NR; i++)
		xa_erase(&pcbgk_registry, maps[i]->id);
}

/**
 * pcbgk_registry_empty() - no group is registered in any namespace: true
 * once every namespace's groups are released (module unload).
 *
 * Return: true if the registry holds no map.
 */
bool pcbgk_registry_empty(void)
{
	return xa_empty(&pcbgk_registry);
}
