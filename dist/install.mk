# SPDX-License-Identifier: GPL-2.0
#
# make installable, install, uninstall, install-dkms, uninstall-dkms, dist
# and deb (included by the Makefile).  Directories follow the GNU
# conventions, each overridable; DESTDIR is prepended to every one of them
# at install time only.

# Raise on every ABI break (tools/lib/libpcbgroup.map says what one is).
SOVERSION	:= 0

PREFIX		?= /usr/local
SBINDIR		?= $(PREFIX)/sbin
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
DATADIR		?= $(PREFIX)/share
MANDIR		?= $(DATADIR)/man
DOCDIR		?= $(DATADIR)/doc/pcbgroup
PKGCONFIGDIR	?= $(LIBDIR)/pkgconfig
BASHCOMPDIR	?= $(DATADIR)/bash-completion/completions
# systemd-sysctl, modprobe and the unit's EnvironmentFile read /etc,
# whatever PREFIX is.
SYSCONFDIR	?= /etc
# Both are on systemd's unit path (systemd-analyze unit-paths); Debian 12's
# packages keep units in /lib.
SYSTEMDUNITDIR	?= $(if $(filter /usr,$(PREFIX)),/lib,$(PREFIX)/lib)/systemd/system
DKMS_SRCDIR	?= /usr/src/pcbgroup-$(VERSION)

LIB_SONAME	:= libpcbgroup.so.$(SOVERSION)
LIB_REAL	:= libpcbgroup.so.$(VERSION)
LIB_MAP		:= tools/lib/libpcbgroup.map

# What `make install` puts in SBINDIR: both tools linked with the shared
# libpcbgroup (the build tree's, used by the tests, link the static one).
SBIN_PROGS	:= $(OUT)/shared/pcbgroupctl $(OUT)/shared/pcbgroupd
# The files of /etc, installed the way dpkg treats a conffile (below).
CONFFILES	:= dist/sysctl.conf:sysctl.d/pcbgroup.conf \
		   dist/modprobe.conf:modprobe.d/pcbgroup.conf \
		   dist/pcbgroupd.default:default/pcbgroupd
DOCS		:= README.md docs/design.md docs/knobs.md docs/tables.md
EXAMPLES_DOC	:= dist/modules-load.conf $(OUT)/web.conf

lib: $(OUT)/libpcbgroup.a $(OUT)/libpcbgroup.so $(OUT)/pcbgroup.pc
# Everything `make install` installs, built (no deps.sh: packages build it).
installable: lib $(SBIN_PROGS) $(OUT)/pcbgroupd.service $(OUT)/web.conf

# The library's objects are position-independent (for the .so), with flags
# set in the Makefile: rebuild them when it changes.
$(LIB_OBJ): Makefile

$(OUT)/$(LIB_REAL): $(LIB_OBJ) $(LIB_MAP)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=$(LIB_MAP) -Wl,--no-undefined \
		$(LIB_OBJ) -o $@ -lbpf

$(OUT)/$(LIB_SONAME): $(OUT)/$(LIB_REAL)
	$(Q)ln -sf $(LIB_REAL) $@

$(OUT)/libpcbgroup.so: $(OUT)/$(LIB_SONAME)
	$(Q)ln -sf $(LIB_SONAME) $@

$(OUT)/pcbgroup.pc: dist/pcbgroup.pc.in debian/changelog
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# The library's sock_diag loop is internal (not exported): the tools that
# link the shared library carry their own copy of it.
LIB_PRIVATE	:= $(OUT)/lib/diag.o

$(OUT)/shared/pcbgroupctl: $(CTL_OBJS) $(LIB_PRIVATE) $(OUT)/libpcbgroup.so
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(CTL_OBJS) $(LIB_PRIVATE) -L$(OUT) -lpcbgroup -lbpf -o $@

$(OUT)/shared/pcbgroupd: $(D_OBJS) $(LIB_PRIVATE) $(OUT)/libpcbgroup.so
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(D_OBJS) $(LIB_PRIVATE) -L$(OUT) -lpcbgroup -lbpf -o $@

# The unit runs the daemon where SBINDIR put it.
$(OUT)/pcbgroupd.service: tools/pcbgroupd/pcbgroupd.service
	$(call msg,GEN,$@)
	$(Q)sed 's|^ExecStart=/usr/sbin/|ExecStart=$(SBINDIR)/|' $< > $@

# The example declaration is the README's, as printed there.
$(OUT)/web.conf: README.md | $(OUT)
	$(call msg,GEN,$@)
	$(Q)sed -n '/^# \/etc\/pcbgroup\/web.conf$$/,/^```$$/p' $< | sed '$$d' > $@
	$(Q)test -s $@ || { echo "README.md: no /etc/pcbgroup/web.conf example" >&2; exit 1; }

# pcbgroup.pc and the unit record the directories: regenerate them when
# they change.
$(OUT)/pcbgroup.pc $(OUT)/pcbgroupd.service: $(OUT)/.dirs
$(OUT)/.dirs: FORCE | $(OUT)
	$(Q)echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR) $(SBINDIR)' | cmp -s - $@ || \
		echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR) $(SBINDIR)' > $@
FORCE:

# A file of /etc is the admin's once edited, as dpkg treats a conffile:
# install puts it there when absent (or unchanged), else keeps the edited
# one and puts the new one beside it as FILE.dist; uninstall removes it only
# when it is still the shipped one.
define install_conf
	if [ ! -e $(2) ] || cmp -s $(1) $(2); then install -m 644 $(1) $(2); \
	else install -m 644 $(1) $(2).dist; \
		echo "  kept $(2), edited; the new one is $(2).dist"; fi
endef
define uninstall_conf
	if cmp -s $(1) $(2); then rm -f $(2); \
	elif [ -e $(2) ]; then echo "  kept $(2), edited"; fi; rm -f $(2).dist
endef
conf_src = $(word 1,$(subst :, ,$(1)))
conf_dst = $(DESTDIR)$(SYSCONFDIR)/$(word 2,$(subst :, ,$(1)))

install: installable
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/pcbgroup/uapi $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(addprefix $(DESTDIR)$(SYSCONFDIR)/,sysctl.d modprobe.d default)
	$(Q)install -m 755 $(SBIN_PROGS) $(DESTDIR)$(SBINDIR)/
	$(Q)install -m 644 $(OUT)/$(LIB_REAL) $(OUT)/libpcbgroup.a $(DESTDIR)$(LIBDIR)/
	$(Q)ln -sf $(LIB_REAL) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	$(Q)ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libpcbgroup.so
	$(Q)install -m 644 $(OUT)/pcbgroup.pc $(DESTDIR)$(PKGCONFIGDIR)/
	$(Q)install -m 644 tools/lib/pcbgroup.h $(DESTDIR)$(INCLUDEDIR)/pcbgroup/
	$(Q)install -m 644 include/uapi/pcbgroup.h $(DESTDIR)$(INCLUDEDIR)/pcbgroup/uapi/
	$(Q)install -m 644 tools/lib/libpcbgroup.3 $(DESTDIR)$(MANDIR)/man3/
	$(Q)install -m 644 docs/pcbgroup.7 $(DESTDIR)$(MANDIR)/man7/
	$(Q)install -m 644 tools/pcbgroupctl/pcbgroupctl.8 tools/pcbgroupd/pcbgroupd.8 $(DESTDIR)$(MANDIR)/man8/
	$(Q)install -m 644 $(OUT)/pcbgroupd.service $(DESTDIR)$(SYSTEMDUNITDIR)/
	$(Q)install -m 644 dist/pcbgroupctl.bash $(DESTDIR)$(BASHCOMPDIR)/pcbgroupctl
	$(Q)install -m 644 dist/pcbgroupd.bash $(DESTDIR)$(BASHCOMPDIR)/pcbgroupd
	$(Q)install -m 644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	$(Q)install -m 644 $(EXAMPLES_DOC) $(DESTDIR)$(DOCDIR)/examples/
	$(Q)$(foreach c,$(CONFFILES),$(call install_conf,$(call conf_src,$(c)),$(call conf_dst,$(c)));)
	$(Q)$(if $(DESTDIR),,ldconfig && ldconfig -p | grep -q ' => $(LIBDIR)/$(LIB_SONAME)$$' || \
		echo "  $(LIBDIR) is not in the loader's path: add it to /etc/ld.so.conf.d/ and run ldconfig")

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(SBIN_PROGS))) \
		$(addprefix $(DESTDIR)$(LIBDIR)/,$(LIB_REAL) $(LIB_SONAME) libpcbgroup.so libpcbgroup.a) \
		$(DESTDIR)$(PKGCONFIGDIR)/pcbgroup.pc \
		$(DESTDIR)$(INCLUDEDIR)/pcbgroup/pcbgroup.h \
		$(DESTDIR)$(INCLUDEDIR)/pcbgroup/uapi/pcbgroup.h \
		$(DESTDIR)$(MANDIR)/man3/libpcbgroup.3 \
		$(DESTDIR)$(MANDIR)/man7/pcbgroup.7 $(DESTDIR)$(MANDIR)/man8/pcbgroupctl.8 \
		$(DESTDIR)$(MANDIR)/man8/pcbgroupd.8 $(DESTDIR)$(SYSTEMDUNITDIR)/pcbgroupd.service \
		$(DESTDIR)$(BASHCOMPDIR)/pcbgroupctl $(DESTDIR)$(BASHCOMPDIR)/pcbgroupd \
		$(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS))) \
		$(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(EXAMPLES_DOC)))
	$(Q)$(foreach c,$(CONFFILES),$(call uninstall_conf,$(call conf_src,$(c)),$(call conf_dst,$(c)));)
	$(Q)rmdir --ignore-fail-on-non-empty $(DESTDIR)$(INCLUDEDIR)/pcbgroup/uapi \
		$(DESTDIR)$(INCLUDEDIR)/pcbgroup $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR)
	$(Q)$(if $(DESTDIR),,ldconfig)

# The module's sources and dkms.conf, where `dkms add pcbgroup/VERSION`
# looks.  Without DESTDIR, DKMS then builds and installs the module for
# every kernel with headers (/lib/modules/KVER/build), as the package does
# in a fresh root; each later kernel gets it by DKMS's own kernel hook.
install-dkms:
	$(call msg,INSTALL,$(DESTDIR)$(DKMS_SRCDIR))
	$(Q)install -d $(DESTDIR)$(DKMS_SRCDIR)/module $(DESTDIR)$(DKMS_SRCDIR)/include/uapi
	$(Q)install -m 644 Kbuild $(DESTDIR)$(DKMS_SRCDIR)/
	$(Q)install -m 644 module/Kbuild module/*.c module/*.h $(DESTDIR)$(DKMS_SRCDIR)/module/
	$(Q)install -m 644 include/*.h $(DESTDIR)$(DKMS_SRCDIR)/include/
	$(Q)install -m 644 include/uapi/*.h $(DESTDIR)$(DKMS_SRCDIR)/include/uapi/
	$(Q)sed 's/#MODULE_VERSION#/$(VERSION)/' dist/dkms.conf > $(DESTDIR)$(DKMS_SRCDIR)/dkms.conf
	$(Q)$(if $(DESTDIR),,dist/dkms-all.sh install pcbgroup/$(VERSION))

uninstall-dkms:
	$(call msg,UNINSTALL,$(DESTDIR)$(DKMS_SRCDIR))
	$(Q)$(if $(DESTDIR),,dist/dkms-all.sh remove pcbgroup/$(VERSION))
	$(Q)rm -rf $(DESTDIR)$(DKMS_SRCDIR)

# The source tarball: the files git tracks (in a checkout) or the ones the
# tarball itself lists in MANIFEST (in an unpacked one), never an untracked
# file; dated by debian/changelog, so that it is the same from any path.
SOURCE_DATE	:= $(shell sed -n '0,/^ -- .*>  /s/^ -- .*>  //p' debian/changelog)
TARBALL		:= $(OUT)/pcbgroup-$(VERSION).tar.gz
dist: | $(OUT)
	$(call msg,TAR,$(TARBALL))
	$(Q)rm -rf $(OUT)/dist && mkdir -p $(OUT)/dist
	$(Q)dist/source-files.sh > $(OUT)/dist/MANIFEST
	$(Q)tar --sort=name --mtime='$(SOURCE_DATE)' --owner=0 --group=0 --numeric-owner \
		--mode=u+rw,go=rX --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
		--transform 's,^,pcbgroup-$(VERSION)/,' -cf $(OUT)/dist/src.tar \
		-T $(OUT)/dist/MANIFEST -C $(OUT)/dist MANIFEST
	$(Q)gzip -n9 < $(OUT)/dist/src.tar > $(TARBALL) && rm -rf $(OUT)/dist

# Native Debian packages, built from that tarball unpacked in $(OUT)/deb
# (dpkg-buildpackage writes beside the source directory), then checked with
# lintian (debian/*.lintian-overrides say why for each warning).
LINTIAN		?= lintian
deb: dist
	$(Q)rm -rf $(OUT)/deb && mkdir -p $(OUT)/deb
	$(Q)tar -xzf $(TARBALL) -C $(OUT)/deb
	$(Q)cd $(OUT)/deb/pcbgroup-$(VERSION) && dpkg-buildpackage -b -us -uc > ../build.log 2>&1 || \
		{ tail -30 ../build.log >&2; exit 1; }
	$(Q)cd $(OUT)/deb && $(LINTIAN) --fail-on error,warning --info *.changes
	@ls $(OUT)/deb/*.deb
