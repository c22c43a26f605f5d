# The core engine, as a convenience library so unit tests link the same
# objects the program runs.  core/ is flat on disk; its modules are
# grouped by concern in one fragment each (see DEVELOPERS.md, "Where
# things live"):
#   core/platform.mk    the host: CLI, config, log, argv programs, HTTP over
#                       unix sockets, rtnetlink, IP detection
#   core/plugins.mk     finding and checking plugins, the host services
#   core/docker.mk      the Docker Engine API client
#   core/controller.mk  the controller (`master serve`) and the wire
#   core/node.mk        the node side (`node join`/`agent`, `master init`,
#                       `status`) and the one controller client
noinst_LTLIBRARIES += core/libclusterctl-core.la
core_platform_sources =
core_plugins_sources =
core_docker_sources =
core_controller_sources =
core_node_sources =
include core/platform.mk
include core/plugins.mk
include core/docker.mk
include core/controller.mk
include core/node.mk
core_libclusterctl_core_la_SOURCES = \
	$(core_platform_sources) $(core_plugins_sources) $(core_docker_sources) \
	$(core_controller_sources) $(core_node_sources)
# Hidden visibility: the program exports nothing, so none of our names
# can interpose on a library's own (libconfig has a strbuf_append of its
# own, and called ours when the core had one; common/ names are cc_).
CORE_VISIBILITY = -fvisibility=hidden
core_libclusterctl_core_la_CFLAGS = $(AM_CFLAGS) $(CORE_VISIBILITY) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS) $(CURL_CFLAGS) $(MNL_CFLAGS) $(SSL_CFLAGS)
# Where the units and the completion are installed, for help --json's
# list of files (cli-reference.c).
if HAVE_SYSTEMDUNITDIR
core_libclusterctl_core_la_CFLAGS += -DCLUSTERCTL_SYSTEMDUNITDIR='"$(systemdsystemunitdir)"'
endif
if HAVE_BASHCOMPLETIONDIR
core_libclusterctl_core_la_CFLAGS += -DCLUSTERCTL_BASHCOMPLETIONDIR='"$(bashcompletiondir)"'
endif
core_libclusterctl_core_la_LIBADD = $(COMMON_LIBS) $(JSONC_LIBS) $(LIBCONFIG_LIBS) $(CURL_LIBS) $(MNL_LIBS) $(SSL_LIBS) $(LIBS)

# An administrator's command (section 8): installed in sbin, with a link
# in bin for scripts and habits that call it there (install-exec-hook).
sbin_PROGRAMS += clusterctl
clusterctl_SOURCES = core/main.c
clusterctl_CFLAGS = $(AM_CFLAGS) $(CORE_VISIBILITY) $(JSONC_CFLAGS)
clusterctl_LDADD = core/libclusterctl-core.la
