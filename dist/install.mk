# SPDX-License-Identifier: GPL-2.0
#
# make module, install, uninstall, install-dkms and deb (included by the
# Makefile).  Directories follow the GNU conventions, each overridable;
# DESTDIR is prepended to every one of them at install time only.

# One version, the package's: the first line of debian/changelog.
VERSION		:= $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
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
# systemd-sysctl and modprobe read /etc, whatever PREFIX is.
SYSCONFDIR	?= /etc
# systemd looks here whatever PREFIX is
SYSTEMDUNITDIR	?= /lib/systemd/system
DKMS_SRCDIR	?= /usr/src/pcbgroup-$(VERSION)

LIB_SONAME	:= libpcbgroup.so.$(SOVERSION)
LIB_REAL	:= libpcbgroup.so.$(VERSION)
LIB_MAP		:= tools/lib/libpcbgroup.map

# What `make install` puts in SBINDIR.  The daemon, pcbgroupd, joins when
# its source exists; its build rule, man page and unit live with it and are
# added to the install and uninstall lists below, next to pcbgroupctl's.
SBIN_PROGS	:= $(OUT)/shared/pcbgroupctl \
		   $(if $(wildcard tools/pcbgroupd.c),$(OUT)/pcbgroupd)
MAN_PAGES	:= tools/pcbgroupctl.8 docs/pcbgroup.7

lib: $(OUT)/libpcbgroup.a $(OUT)/libpcbgroup.so $(OUT)/pcbgroup.pc
# Everything `make install` installs, built (no deps.sh: packages build it).
dist: lib $(SBIN_PROGS)

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

$(OUT)/shared/pcbgroupctl: $(CTL_OBJS) $(OUT)/libpcbgroup.so
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(CTL_OBJS) -L$(OUT) -lpcbgroup -lbpf -o $@

# pcbgroup.pc records the directories: regenerate it when they change.
$(OUT)/pcbgroup.pc: $(OUT)/.dirs
$(OUT)/.dirs: FORCE | $(OUT)
	$(Q)echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR)' | cmp -s - $@ || \
		echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR)' > $@
FORCE:

install: dist
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/pcbgroup/uapi $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(SYSCONFDIR)/sysctl.d $(DESTDIR)$(SYSCONFDIR)/modprobe.d
	$(Q)install -m 755 $(SBIN_PROGS) $(DESTDIR)$(SBINDIR)/
	$(Q)install -m 644 $(OUT)/$(LIB_REAL) $(OUT)/libpcbgroup.a $(DESTDIR)$(LIBDIR)/
	$(Q)ln -sf $(LIB_REAL) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	$(Q)ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libpcbgroup.so
	$(Q)install -m 644 $(OUT)/pcbgroup.pc $(DESTDIR)$(PKGCONFIGDIR)/
	$(Q)install -m 644 tools/lib/pcbgroup.h $(DESTDIR)$(INCLUDEDIR)/pcbgroup/
	$(Q)install -m 644 include/uapi/pcbgroup.h $(DESTDIR)$(INCLUDEDIR)/pcbgroup/uapi/
	$(Q)install -m 644 docs/pcbgroup.7 $(DESTDIR)$(MANDIR)/man7/
	$(Q)install -m 644 tools/pcbgroupctl.8 tools/pcbgroupd.8 $(DESTDIR)$(MANDIR)/man8/
	$(Q)install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	$(Q)install -m 644 tools/pcbgroupd.service $(DESTDIR)$(SYSTEMDUNITDIR)/
	$(Q)install -m 644 dist/pcbgroupctl.bash $(DESTDIR)$(BASHCOMPDIR)/pcbgroupctl
	$(Q)install -m 644 dist/sysctl.conf $(DESTDIR)$(SYSCONFDIR)/sysctl.d/pcbgroup.conf
	$(Q)install -m 644 dist/modprobe.conf $(DESTDIR)$(SYSCONFDIR)/modprobe.d/pcbgroup.conf
	$(Q)install -m 644 dist/modules-load.conf $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(SBIN_PROGS))) \
		$(addprefix $(DESTDIR)$(LIBDIR)/,$(LIB_REAL) $(LIB_SONAME) libpcbgroup.so libpcbgroup.a) \
		$(DESTDIR)$(PKGCONFIGDIR)/pcbgroup.pc \
		$(DESTDIR)$(INCLUDEDIR)/pcbgroup/pcbgroup.h \
		$(DESTDIR)$(INCLUDEDIR)/pcbgroup/uapi/pcbgroup.h \
		$(DESTDIR)$(MANDIR)/man7/pcbgroup.7 $(DESTDIR)$(MANDIR)/man8/pcbgroupctl.8 \
		$(DESTDIR)$(MANDIR)/man8/pcbgroupd.8 $(DESTDIR)$(SYSTEMDUNITDIR)/pcbgroupd.service \
		$(DESTDIR)$(BASHCOMPDIR)/pcbgroupctl \
		$(DESTDIR)$(SYSCONFDIR)/sysctl.d/pcbgroup.conf \
		$(DESTDIR)$(SYSCONFDIR)/modprobe.d/pcbgroup.conf \
		$(DESTDIR)$(DOCDIR)/examples/modules-load.conf
	$(Q)rmdir --ignore-fail-on-non-empty $(DESTDIR)$(INCLUDEDIR)/pcbgroup/uapi \
		$(DESTDIR)$(INCLUDEDIR)/pcbgroup $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR)

# The module's sources and dkms.conf, where `dkms add pcbgroup/VERSION` looks.
install-dkms:
	$(call msg,INSTALL,$(DESTDIR)$(DKMS_SRCDIR))
	$(Q)install -d $(DESTDIR)$(DKMS_SRCDIR)/module $(DESTDIR)$(DKMS_SRCDIR)/include/uapi
	$(Q)install -m 644 Kbuild $(DESTDIR)$(DKMS_SRCDIR)/
	$(Q)install -m 644 module/Kbuild module/*.c module/*.h $(DESTDIR)$(DKMS_SRCDIR)/module/
	$(Q)install -m 644 include/uapi/pcbgroup.h $(DESTDIR)$(DKMS_SRCDIR)/include/uapi/
	$(Q)sed 's/#MODULE_VERSION#/$(VERSION)/' dist/dkms.conf > $(DESTDIR)$(DKMS_SRCDIR)/dkms.conf

# Native Debian packages, built from a copy of the committed tree in
# $(OUT)/deb (dpkg-buildpackage writes beside the source directory), then
# checked with lintian (debian/*.lintian-overrides say why for each warning).
deb:
	$(Q)rm -rf $(OUT)/deb
	$(Q)mkdir -p $(OUT)/deb/pcbgroup-$(VERSION)
	$(Q)git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t $(OUT)/deb/pcbgroup-$(VERSION)
	$(Q)cd $(OUT)/deb/pcbgroup-$(VERSION) && dpkg-buildpackage -b -us -uc > ../build.log 2>&1 || \
		{ tail -30 ../build.log >&2; exit 1; }
	$(Q)cd $(OUT)/deb && lintian --fail-on error,warning --info *.changes
	@ls $(OUT)/deb/*.deb
