# The core engine, as a convenience library so unit tests link the same
# objects the program runs.
noinst_LTLIBRARIES += core/libclusterctl-core.la
core_libclusterctl_core_la_SOURCES = \
	core/app.c core/app.h \
	core/cli.c core/cli.h \
	core/config.c core/config.h \
	core/controller.c \
	core/host-services.c core/host-services.h \
	core/http-unix.c core/http-unix.h \
	core/ipdetect.c \
	core/log.c core/log.h \
	core/master-init.c \
	core/netlink.c core/netlink.h \
	core/nodeagent.c \
	core/plugin-list.c \
	core/plugin-loader.c core/plugin-loader.h \
	core/subprocess.c core/subprocess.h \
	core/status.c \
	core/util.c core/util.h
core_libclusterctl_core_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS) $(CURL_CFLAGS) $(MNL_CFLAGS)
core_libclusterctl_core_la_LIBADD = $(JSONC_LIBS) $(LIBCONFIG_LIBS) $(CURL_LIBS) $(MNL_LIBS) $(LIBS)

bin_PROGRAMS += clusterctl
clusterctl_SOURCES = core/main.c
clusterctl_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
clusterctl_LDADD = core/libclusterctl-core.la
