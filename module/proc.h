/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcbgroup: /proc/net/pcbgroup/, the tables and the control file.
 */
#ifndef _PCBGK_PROC_H
#define _PCBGK_PROC_H

#include <linux/proc_fs.h>

struct net;
struct pcbgk_net;
struct work_struct;

int pcbgk_proc_init(void);
/* knobfile.c: /proc/net/pcbgroup/knobs, made with the namespace as its data */
extern const struct proc_ops pcbgk_knobfile_proc_ops;
void pcbgk_knobfile_changed(struct pcbgk_net *pn);
void pcbgk_knobfile_wake(struct work_struct *work);
void pcbgk_knobfile_remove(struct pcbgk_net *pn);
void pcbgk_proc_exit(void);

#endif /* _PCBGK_PROC_H */
