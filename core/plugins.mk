# core, plugins: finding and checking provider plugins (the loader), the
# host-services table they get, and `clusterctl plugins`.
core_plugins_sources += core/plugin-loader.c core/plugin-loader.h \
	core/host-services.c core/host-services.h \
	core/plugin-list.c
