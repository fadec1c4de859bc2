/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcbgroup: /proc/net/pcbgroup/, the tables and the control file.
 */
#ifndef _PCBG_PROC_H
#define _PCBG_PROC_H

int pcbg_proc_init(void);
void pcbg_proc_exit(void);

#endif /* _PCBG_PROC_H */
