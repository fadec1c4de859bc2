/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcbgroup: /proc/net/pcbgroup/, the tables and the control file.
 */
#ifndef _PCBG_PROC_H
#define _PCBG_PROC_H

struct net;
struct pcbg_net;
struct proc_dir_entry;

int pcbg_proc_init(void);
int pcbg_knobfile_create(struct net *net, struct proc_dir_entry *dir);
void pcbg_knobfile_changed(struct pcbg_net *pn);
void pcbg_proc_exit(void);

#endif /* _PCBG_PROC_H */
