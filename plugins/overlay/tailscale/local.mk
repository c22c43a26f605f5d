if BUILD_OVERLAY_TAILSCALE
plugin_LTLIBRARIES += plugins/overlay/tailscale/overlay-tailscale.la
plugins_overlay_tailscale_overlay_tailscale_la_SOURCES = plugins/overlay/tailscale/tailscale.c \
	plugins/overlay/tailscale/tailscale-json.c plugins/overlay/tailscale/tailscale-json.h
plugins_overlay_tailscale_overlay_tailscale_la_CPPFLAGS = $(PLUGIN_COMMON_CPPFLAGS)
plugins_overlay_tailscale_overlay_tailscale_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
plugins_overlay_tailscale_overlay_tailscale_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_overlay_tailscale_overlay_tailscale_la_LIBADD = $(PLUGIN_COMMON_LIBS)
endif
