/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcbgroup: /proc/net/pcbgroup/, the tables and the control file.
 */
#ifndef _PCBGK_PROC_H
#define _PCBGK_PROC_H

struct net;
struct pcbgk_net;
struct proc_dir_entry;
struct work_struct;

int pcbgk_proc_init(void);
int pcbgk_knobfile_create(struct net *net, struct proc_dir_entry *dir);
void pcbgk_knobfile_changed(struct pcbgk_net *pn);
void pcbgk_knobfile_wake(struct work_struct *work);
void pcbgk_knobfile_remove(struct pcbgk_net *pn);
void pcbgk_proc_exit(void);

#endif /* _PCBGK_PROC_H */
