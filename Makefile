# SPDX-License-Identifier: GPL-2.0
# pcbgroup: the only entry point.  `make help` lists targets and variables.

OUT		?= build
CLANG		?= clang
BPFTOOL		?= bpftool
CC		?= gcc
MULTIARCH	:= $(shell $(CC) -print-multiarch 2>/dev/null)
# The kernel of `make module`: the running one when its headers are
# installed, else the newest of the matrix (scripts/kernels.sh).
KVER		?= $(shell bash -c '. scripts/kernels.sh && pcbg_default_kver')
KSRC_TAR	?= /usr/src/linux-source-6.1.tar.xz
# One version, the package's: the first line of debian/changelog.  The
# tools' --version, the library's file name, pcbgroup.pc, dkms.conf and the
# module's MODULE_VERSION take it from here.
VERSION		:= $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)

# No build path in what is built (the BPF object, and through the skeleton
# the library): the same bytes from any directory.
PREFIX_MAP	:= -ffile-prefix-map=$(CURDIR)=.
CFLAGS		?= -O2 -g
CFLAGS		+= -Wall -Wextra -Werror -Iinclude -Itools/lib -Itools/common -I$(OUT) \
		   -DPCBG_VERSION='"$(VERSION)"' $(PREFIX_MAP)
BPF_CFLAGS	:= -g -O2 -target bpf -mcpu=v3 -Wall -Werror -Iinclude \
		   -idirafter /usr/include/$(MULTIARCH) $(PREFIX_MAP)
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
.PHONY: all deps bpf tools lib module selftests check check-host check-unit lint demo clean help \
	installable dist install install-dkms uninstall uninstall-dkms deb asan

LIB_OBJ		:= $(patsubst tools/lib/%.c,$(OUT)/lib/%.o,$(wildcard tools/lib/*.c))
# tools/common: what pcbgroupctl and pcbgroupd both link; each binary's own
# files in its folder.
COMMON_OBJS	:= $(patsubst tools/%.c,$(OUT)/tools/%.o,$(wildcard tools/common/*.c))
CTL_OBJS	:= $(patsubst tools/%.c,$(OUT)/tools/%.o,$(wildcard tools/pcbgroupctl/*.c)) \
		   $(COMMON_OBJS)
D_OBJS		:= $(patsubst tools/%.c,$(OUT)/tools/%.o,$(wildcard tools/pcbgroupd/*.c)) \
		   $(COMMON_OBJS)
TOOLS_HDRS	:= $(wildcard tools/common/*.h tools/pcbgroupd/*.h)
EXAMPLES	:= $(OUT)/echo_server $(OUT)/loadgen
HDRS		:= include/uapi/pcbgroup.h tools/lib/pcbgroup.h tools/lib/internal.h

all: deps bpf tools selftests

# Installs what is missing (scripts/deps.sh is idempotent and quick).
deps:
	$(Q)scripts/deps.sh

bpf: $(OUT)/pcbgroup.skel.h $(OUT)/bindwatch.skel.h
tools: $(OUT)/pcbgroupctl $(OUT)/pcbgroupd lib $(EXAMPLES)

# W=1 and sparse, no warning allowed, as `make check` builds it; a kernel of
# the trixie root is built there, with its toolchain.
module:
	$(call msg,MODULE,$(OUT)/kmod/$(KVER)/module/pcbgroup.ko)
	$(Q)OUT=$(OUT) PCBG_VERSION=$(VERSION) scripts/build_module.sh $(KVER)

$(OUT)/pcbgroup.bpf.o: bpf/pcbgroup.bpf.c bpf/flow_key.h bpf/quic_cid.h include/uapi/pcbgroup.h | $(OUT)
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/pcbgroup.skel.h: $(OUT)/pcbgroup.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name pcbgroup_bpf > $@

# pcbgroupd's cgroup socket hooks (tools/pcbgroupd/bindwatch.c loads them)
$(OUT)/bindwatch.bpf.o: bpf/bindwatch.bpf.c bpf/conns.h include/uapi/pcbgroup.h include/pcbgroup_layout.h | $(OUT)
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/bindwatch.skel.h: $(OUT)/bindwatch.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name bindwatch_bpf > $@

$(OUT)/tools/pcbgroupd/bindwatch.o: $(OUT)/bindwatch.skel.h

$(OUT)/lib/%.o: tools/lib/%.c $(HDRS) $(OUT)/pcbgroup.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -c $< -o $@

$(OUT)/libpcbgroup.a: $(LIB_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OUT)/tools/%.o: tools/%.c $(TOOLS_HDRS) $(HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@
# --version
$(OUT)/tools/pcbgroupctl/pcbgroupctl.o $(OUT)/tools/pcbgroupd/pcbgroupd.o: debian/changelog

# The build tree's pcbgroupctl (used by the tests) links the static library;
# the installed one, $(OUT)/shared/pcbgroupctl, the shared one.
$(OUT)/pcbgroupctl: $(CTL_OBJS) $(OUT)/libpcbgroup.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

include dist/install.mk
# selftests/Makefile: the tests, check, lint and asan targets.
include selftests/Makefile

$(OUT)/pcbgroupd: $(D_OBJS) $(OUT)/libpcbgroup.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(OUT)/%: tools/examples/%.c tools/examples/echo_proto.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ -lpthread

$(OUT):
	$(Q)mkdir -p $@

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
	@echo '  check-host the host'"'"'s tiers only (unit, host, dataplane): the quick loop'
	@echo '  check-unit the unit tier: needs no root'
	@echo '  demo       steer a 4-worker example server and print the tables'
	@echo '  bench      side-by-side benchmarks: results and plots in $(OUT)/bench'
	@echo '  lint       checkpatch --strict on the kernel-style sources'
	@echo '  module     pcbgroup.ko for KVER, in $(OUT)/kmod/KVER (W=1, sparse)'
	@echo '  install    tools, libraries, headers, pkg-config, man pages, completions,'
	@echo '             the unit, docs; sysctl.d, modprobe.d and default files unless'
	@echo '             edited; uninstall removes them (an edited /etc file stays)'
	@echo '  install-dkms  the module sources under $(DKMS_SRCDIR), built by DKMS for'
	@echo '             every kernel with headers; uninstall-dkms removes them'
	@echo '  installable   what install installs, built (debian/rules uses it)'
	@echo '  dist       the source tarball $(OUT)/pcbgroup-$(VERSION).tar.gz (tracked files only)'
	@echo '  deb        Debian packages in $(OUT)/deb, from that tarball (dpkg-buildpackage, lintian)'
	@echo '  asan       pcbgroupctl and pcbgroupd with ASan and UBSan in $(OUT)/asan (tests run them)'
	@echo '  deps       install missing Debian packages (scripts/deps.sh)'
	@echo '  clean      remove $(OUT)/'
	@echo 'Variables: OUT=$(OUT) KVER=$(KVER) CLANG=$(CLANG) BPFTOOL=$(BPFTOOL) V=1'
	@echo '  DESTDIR PREFIX=$(PREFIX) SBINDIR=$(SBINDIR) LIBDIR=$(LIBDIR)'
	@echo '  INCLUDEDIR=$(INCLUDEDIR) MANDIR=$(MANDIR) SYSCONFDIR=$(SYSCONFDIR)'
