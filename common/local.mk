# common/: the one copy of what the core and the plugins both need
# (string buffers, clocks, address and name parsing, crash-safe files).
# libc only: no SDK types (its flags do not even name include/), no
# libconfig, libcurl or libmnl.  A libtool convenience library, so its
# objects are PIC and copied into the program and into each plugin module;
# a plugin still exports only clusterctl_plugin_entry, and -fvisibility
# keeps every cc_ name out of the program's dynamic symbols.
noinst_LTLIBRARIES += common/libclusterctl-common.la
common_libclusterctl_common_la_SOURCES = \
	common/cc-buf.c common/cc-buf.h \
	common/cc-file.c common/cc-file.h \
	common/cc-net.c common/cc-net.h \
	common/cc-time.c common/cc-time.h
common_libclusterctl_common_la_CPPFLAGS = -I$(top_srcdir)/common
common_libclusterctl_common_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
# For a consumer's _CPPFLAGS and _LIBADD/_LDADD.
COMMON_CPPFLAGS = -I$(top_srcdir)/common
COMMON_LIBS = common/libclusterctl-common.la
