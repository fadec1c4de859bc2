# SPDX-License-Identifier: GPL-2.0
# bench/: side-by-side benchmarks, included by the top Makefile.
# `make bench` builds everything, then scripts/bench.sh runs the programs and
# writes CSV files, plots and goals.tsv into $(OUT)/bench/.

.PHONY: bench bench-progs

BENCH_SRCS	:= $(filter-out bench/common.c bench/%.bpf.c,$(wildcard bench/*.c))
BENCH_PROGS	:= $(patsubst bench/%.c,$(OUT)/bench/%,$(BENCH_SRCS))
BENCH_CFLAGS	:= -D_GNU_SOURCE -Ibench -Iselftests -I$(OUT)/bench

bench: all bench-progs
	$(Q)OUT=$(OUT) scripts/bench.sh

bench-progs: $(BENCH_PROGS)

BENCH_SKELS	:= $(patsubst bench/%.bpf.c,$(OUT)/bench/%.skel.h,$(wildcard bench/*.bpf.c)) \
		   $(OUT)/bench/pcbgroup_noflow.skel.h

# kept, not intermediate: every program is rebuilt only when they change
.SECONDARY: $(BENCH_SKELS) $(BENCH_SKELS:.skel.h=.bpf.o)

# pcbgroup's program without the flow table's and the QUIC routing's code:
# what flow_table=0 and quic_cid_len=0 are measured against (bench/cost);
# its unused locals are expected
$(OUT)/bench/pcbgroup_noflow.bpf.o: bpf/pcbgroup.bpf.c bpf/flow_key.h bpf/quic_cid.h include/uapi/pcbgroup.h
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DPCBG_NO_FLOW_TABLE -DPCBG_NO_QUIC -Wno-unused-variable \
		-Wno-unused-label -Wno-unused-function -c $< -o $@

# flow_layout measures other tables with the production program's flow key
$(OUT)/bench/flow_layout.bpf.o: bpf/flow_key.h include/uapi/pcbgroup.h

$(OUT)/bench/%.bpf.o: bench/%.bpf.c
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/bench/%.skel.h: $(OUT)/bench/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(OUT)/bench/common.o: bench/common.c bench/common.h selftests/netns.h \
		$(OUT)/bench/noop.skel.h $(HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(BENCH_CFLAGS) -c $< -o $@

$(OUT)/bench/%: bench/%.c bench/common.h $(OUT)/bench/common.o \
		$(BENCH_SKELS) $(OUT)/libpcbgroup.a $(HDRS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(BENCH_CFLAGS) $< $(OUT)/bench/common.o \
		$(OUT)/libpcbgroup.a -o $@ $(LDLIBS)

# tail -S gunicorn serves this app from beside the program
$(OUT)/bench/tail: $(OUT)/bench/tail_app.py

$(OUT)/bench/tail_app.py: bench/tail_app.py
	$(call msg,CP,$@)
	$(Q)mkdir -p $(@D)
	$(Q)cp $< $@

# steer runs pcbgroupd and its own bindwatch hooks (tools/pcbgroupd/bindwatch.c)
$(OUT)/bench/steer: bench/steer.c bench/common.h $(OUT)/bench/common.o \
		$(OUT)/tools/pcbgroupd/bindwatch.o tools/pcbgroupd/bindwatch.h \
		$(OUT)/libpcbgroup.a $(HDRS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(BENCH_CFLAGS) -Itools/pcbgroupd $< $(OUT)/bench/common.o \
		$(OUT)/tools/pcbgroupd/bindwatch.o $(OUT)/libpcbgroup.a -o $@ $(LDLIBS)
