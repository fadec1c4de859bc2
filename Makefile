# SPDX-License-Identifier: GPL-2.0
# pcbgroup: the only entry point.  `make help` lists targets and variables.

OUT		?= build
CLANG		?= clang
BPFTOOL		?= bpftool
CC		?= gcc
MULTIARCH	:= $(shell $(CC) -print-multiarch 2>/dev/null)
# The newest installed Debian kernel headers, not the host kernel: the host
# cannot load modules, guests run the Debian kernels.
KDIRS		?= $(sort $(wildcard /usr/src/linux-headers-*-amd64))
KDIR		?= $(lastword $(KDIRS))
KSRC_TAR	?= /usr/src/linux-source-6.1.tar.xz

CFLAGS		?= -O2 -g
CFLAGS		+= -Wall -Wextra -Werror -Iinclude -Itools/lib -I$(OUT)
BPF_CFLAGS	:= -g -O2 -target bpf -mcpu=v3 -Wall -Werror -Iinclude \
		   -idirafter /usr/include/$(MULTIARCH)
LDLIBS		:= -lbpf -lelf -lz -lpthread -lm

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
MAKEFLAGS += --no-print-directory
endif

.DELETE_ON_ERROR:
.PHONY: all deps bpf tools module selftests check lint demo clean help

LIB_OBJ		:= $(OUT)/lib/pcbgroup.o $(OUT)/lib/membership.o $(OUT)/lib/maglev.o
CTL_OBJS	:= $(OUT)/tools/pcbgroupctl.o $(OUT)/tools/adopt.o $(OUT)/tools/show.o \
		   $(OUT)/tools/serving.o $(OUT)/tools/netns.o $(OUT)/tools/sockdiag.o \
		   $(OUT)/tools/state.o
# pcbgroupd shares pcbgroupctl's objects but its main
D_OBJS		:= $(filter-out $(OUT)/tools/pcbgroupctl.o,$(CTL_OBJS)) \
		   $(OUT)/tools/pcbgroupd.o $(OUT)/tools/declare.o $(OUT)/tools/finder.o
EXAMPLES	:= $(OUT)/echo_server $(OUT)/loadgen
HARNESS		:= $(OUT)/kselftest/kselftest_harness.h
HOST_TESTS	:= $(patsubst selftests/%.c,$(OUT)/selftests/%,$(wildcard selftests/*.c))
HDRS		:= include/uapi/pcbgroup.h tools/lib/pcbgroup.h tools/lib/internal.h

all: deps bpf tools selftests

# Installs what is missing (scripts/deps.sh is idempotent and quick).
deps:
	$(Q)scripts/deps.sh

bpf: $(OUT)/pcbgroup.skel.h
tools: $(OUT)/pcbgroupctl $(OUT)/pcbgroupd $(OUT)/libpcbgroup.a $(EXAMPLES)
selftests: $(HOST_TESTS)

$(OUT)/pcbgroup.bpf.o: bpf/pcbgroup.bpf.c include/uapi/pcbgroup.h | $(OUT)
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/pcbgroup.skel.h: $(OUT)/pcbgroup.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name pcbgroup_bpf > $@

$(OUT)/lib/%.o: tools/lib/%.c $(HDRS) $(OUT)/pcbgroup.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/libpcbgroup.a: $(LIB_OBJ)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(OUT)/tools/%.o: tools/%.c tools/pcbgroupctl.h tools/pcbgroupd.h $(HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/pcbgroupctl: $(CTL_OBJS) $(OUT)/libpcbgroup.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(OUT)/pcbgroupd: $(D_OBJS) $(OUT)/libpcbgroup.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(OUT)/%: tools/examples/%.c tools/examples/echo_proto.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ -lpthread

# The harness comes from Debian's kernel source, extracted at build time.
$(HARNESS):
	$(call msg,EXTRACT,$(OUT)/kselftest)
	$(Q)mkdir -p $(@D)
	$(Q)tar -xJf $(KSRC_TAR) -C $(@D) --strip-components=4 --wildcards \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h'

$(OUT)/selftests/%: selftests/%.c selftests/lib.h selftests/modlib.h $(HARNESS) $(OUT)/libpcbgroup.a $(HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare -D_GNU_SOURCE \
		-I$(OUT)/kselftest -Iselftests $< $(OUT)/libpcbgroup.a -o $@ $(LDLIBS)

$(OUT):
	$(Q)mkdir -p $@

# Everything: build, host tests, lint; one summary line at the end.
check: all
	$(Q)selftests/run_tests --out $(OUT)

lint:
	$(Q)scripts/lint.sh

demo: all
	$(Q)scripts/demo.sh

# bench/bench.mk defines the bench target and its programs.
-include bench/bench.mk

clean:
	$(call msg,CLEAN,$(OUT))
	$(Q)rm -rf $(OUT)

help:
	@echo 'Targets:'
	@echo '  all        BPF object and skeleton, libpcbgroup, pcbgroupctl, pcbgroupd, examples, tests'
	@echo '  check      build, then run every test; ends with "N passed, N failed, N skipped"'
	@echo '  demo       steer a 4-worker example server and print the tables'
	@echo '  bench      side-by-side benchmarks: results and plots in $(OUT)/bench'
	@echo '  lint       checkpatch --strict on the kernel-style sources'
	@echo '  deps       install missing Debian packages (scripts/deps.sh)'
	@echo '  clean      remove $(OUT)/'
	@echo 'Variables: OUT=$(OUT) KDIR=$(KDIR) CLANG=$(CLANG) BPFTOOL=$(BPFTOOL) V=1'
