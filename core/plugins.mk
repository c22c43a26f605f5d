# core, plugins: finding and checking provider plugins (the loader), the
# host-services table they get, and `clusterctl plugins`.
core_plugins_sources += core/plugin-loader.c core/plugin-loader.h \
	core/host-services.c core/host-services.h \
	core/plugin-list.c core/plugin-list.h

# The harness a plugin author tests against (clusterctl-plugin(7),
# TESTING A PLUGIN): installed with the SDK.
bin_PROGRAMS += clusterctl-plugin-test
clusterctl_plugin_test_SOURCES = core/plugin-test.c core/plugin-test-host.c core/plugin-test.h
clusterctl_plugin_test_CFLAGS = $(AM_CFLAGS) $(CORE_VISIBILITY) $(JSONC_CFLAGS)
clusterctl_plugin_test_LDADD = core/libclusterctl-core.la $(JSONC_LIBS) -lpthread
