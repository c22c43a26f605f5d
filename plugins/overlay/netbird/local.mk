if BUILD_OVERLAY_NETBIRD
plugin_LTLIBRARIES += plugins/overlay/netbird/overlay-netbird.la
plugins_overlay_netbird_overlay_netbird_la_SOURCES = plugins/overlay/netbird/netbird.c \
	plugins/overlay/netbird/netbird-json.c plugins/overlay/netbird/netbird-json.h
plugins_overlay_netbird_overlay_netbird_la_CPPFLAGS = $(PLUGIN_COMMON_CPPFLAGS)
plugins_overlay_netbird_overlay_netbird_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
plugins_overlay_netbird_overlay_netbird_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_overlay_netbird_overlay_netbird_la_LIBADD = $(PLUGIN_COMMON_LIBS)
endif
