# The core engine, as a convenience library so unit tests link the same
# objects the program runs.
noinst_LTLIBRARIES += core/libclusterctl-core.la
# Each area lists its own sources in its own fragment (core/*.mk).
core_ipdetect_sources =
core_docker_sources =
core_controller_sources =
core_agent_sources =
include core/ipdetect.mk
include core/docker.mk
include core/controller.mk
include core/agent.mk
core_libclusterctl_core_la_SOURCES = \
	$(core_ipdetect_sources) $(core_docker_sources) \
	$(core_controller_sources) $(core_agent_sources) \
	core/app.c core/app.h \
	core/cli.c core/cli.h \
	core/cli-reference.c \
	core/completion.c \
	core/config.c core/config.h \
	core/host-services.c core/host-services.h \
	core/http-unix.c core/http-unix.h \
	core/log.c core/log.h \
	core/plugin-list.c \
	core/plugin-loader.c core/plugin-loader.h \
	core/sd-notify.c core/sd-notify.h \
	core/subprocess.c core/subprocess.h \
	core/util.c core/util.h
# Hidden visibility: the program exports nothing, so none of our names
# (strbuf_append...) can interpose on a library's own (libconfig has a
# strbuf_append of its own and called ours).
CORE_VISIBILITY = -fvisibility=hidden
core_libclusterctl_core_la_CFLAGS = $(AM_CFLAGS) $(CORE_VISIBILITY) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS) $(CURL_CFLAGS) $(MNL_CFLAGS)
# Where the units and the completion are installed, for help --json's
# list of files (cli-reference.c).
if HAVE_SYSTEMDUNITDIR
core_libclusterctl_core_la_CFLAGS += -DCLUSTERCTL_SYSTEMDUNITDIR='"$(systemdsystemunitdir)"'
endif
if HAVE_BASHCOMPLETIONDIR
core_libclusterctl_core_la_CFLAGS += -DCLUSTERCTL_BASHCOMPLETIONDIR='"$(bashcompletiondir)"'
endif
core_libclusterctl_core_la_LIBADD = plugins/common/libplugin-common.la $(JSONC_LIBS) $(LIBCONFIG_LIBS) $(CURL_LIBS) $(MNL_LIBS) $(LIBS)

# An administrator's command (section 8): installed in sbin, with a link
# in bin for scripts and habits that call it there (install-exec-hook).
sbin_PROGRAMS += clusterctl
clusterctl_SOURCES = core/main.c
clusterctl_CFLAGS = $(AM_CFLAGS) $(CORE_VISIBILITY) $(JSONC_CFLAGS)
clusterctl_LDADD = core/libclusterctl-core.la
