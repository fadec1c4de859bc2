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
.PHONY: all deps bpf tools lib module selftests check lint demo clean help \
	dist install install-dkms uninstall deb asan

LIB_OBJ		:= $(patsubst tools/lib/%.c,$(OUT)/lib/%.o,$(wildcard tools/lib/*.c))
CTL_OBJS	:= $(OUT)/tools/pcbgroupctl.o $(OUT)/tools/adopt.o $(OUT)/tools/show.o \
		   $(OUT)/tools/register.o $(OUT)/tools/serving.o $(OUT)/tools/netns.o \
		   $(OUT)/tools/sockdiag.o $(OUT)/tools/state.o
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
tools: $(OUT)/pcbgroupctl $(OUT)/pcbgroupd lib $(EXAMPLES)
selftests: $(HOST_TESTS) $(OUT)/asan/pcbgroupctl

$(OUT)/pcbgroup.bpf.o: bpf/pcbgroup.bpf.c include/uapi/pcbgroup.h | $(OUT)
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/pcbgroup.skel.h: $(OUT)/pcbgroup.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name pcbgroup_bpf > $@

$(OUT)/lib/%.o: tools/lib/%.c $(HDRS) $(OUT)/pcbgroup.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -c $< -o $@

$(OUT)/libpcbgroup.a: $(LIB_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OUT)/tools/%.o: tools/%.c tools/pcbgroupctl.h tools/pcbgroupd.h $(HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The build tree's pcbgroupctl (used by the tests) links the static library;
# the installed one, $(OUT)/shared/pcbgroupctl, the shared one.
$(OUT)/pcbgroupctl: $(CTL_OBJS) $(OUT)/libpcbgroup.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

include dist/install.mk

# pcbgroupctl again with AddressSanitizer and UBSan, for the fuzz tests.
ASAN_FLAGS	:= -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
		   -fno-sanitize-recover=all
ASAN_OBJS	:= $(patsubst $(OUT)/%,$(OUT)/asan/%,$(CTL_OBJS) $(LIB_OBJ))

asan: $(OUT)/asan/pcbgroupctl

$(OUT)/asan/lib/%.o: tools/lib/%.c $(HDRS) $(OUT)/pcbgroup.skel.h
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(ASAN_FLAGS) -c $< -o $@

$(OUT)/asan/tools/%.o: tools/%.c tools/pcbgroupctl.h $(HDRS)
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(ASAN_FLAGS) -c $< -o $@

$(OUT)/asan/pcbgroupctl: $(ASAN_OBJS)
	$(call msg,LD-ASAN,$@)
	$(Q)$(CC) $(CFLAGS) $(ASAN_FLAGS) $^ -o $@ $(LDLIBS)

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

$(OUT)/selftests/%: selftests/%.c $(wildcard selftests/*.h) $(HARNESS) $(OUT)/libpcbgroup.a $(HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare -D_GNU_SOURCE \
		-I$(OUT)/kselftest -Iselftests $< $(OUT)/libpcbgroup.a -o $@ $(LDLIBS)

# The fuzz tests are built with ASan and UBSan too, and call pcbgroupctl's
# own instrumented main() in forked children (see selftests/fuzz.h).
FUZZ_TESTS	:= $(OUT)/selftests/cli_fuzz $(OUT)/selftests/pin_damage
CTL_MAIN_ASAN	:= $(OUT)/asan/pcbgroupctl_main.o

$(CTL_MAIN_ASAN): $(OUT)/asan/tools/pcbgroupctl.o
	$(call msg,OBJCOPY,$@)
	$(Q)objcopy --redefine-sym main=pcbgroupctl_main $< $@

$(FUZZ_TESTS): $(OUT)/selftests/%: selftests/%.c $(wildcard selftests/*.h) $(HARNESS) $(ASAN_OBJS) $(CTL_MAIN_ASAN) $(OUT)/asan/pcbgroupctl $(HDRS)
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(ASAN_FLAGS) -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare -D_GNU_SOURCE \
		-I$(OUT)/kselftest -Iselftests -Itools $< $(CTL_MAIN_ASAN) \
		$(filter-out $(OUT)/asan/tools/pcbgroupctl.o,$(ASAN_OBJS)) -o $@ $(LDLIBS)

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
	@echo '  module     pcbgroup.ko against KDIR, in $(OUT)/kmod/KVER'
	@echo '  install    tools, libraries, headers, pkg-config, man pages, completion,'
	@echo '             sysctl.d and modprobe.d files; uninstall removes them'
	@echo '  install-dkms  the module sources under $(DKMS_SRCDIR) for dkms add'
	@echo '  deb        Debian packages in $(OUT)/deb (dpkg-buildpackage, lintian)'
	@echo '  asan       pcbgroupctl with ASan and UBSan in $(OUT)/asan (the fuzz tests run it)'
	@echo '  deps       install missing Debian packages (scripts/deps.sh)'
	@echo '  clean      remove $(OUT)/'
	@echo 'Variables: OUT=$(OUT) KDIR=$(KDIR) CLANG=$(CLANG) BPFTOOL=$(BPFTOOL) V=1'
	@echo '  DESTDIR PREFIX=$(PREFIX) SBINDIR=$(SBINDIR) LIBDIR=$(LIBDIR)'
	@echo '  INCLUDEDIR=$(INCLUDEDIR) MANDIR=$(MANDIR) SYSCONFDIR=$(SYSCONFDIR)'
