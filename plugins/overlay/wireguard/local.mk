if BUILD_OVERLAY_WIREGUARD
plugin_LTLIBRARIES += plugins/overlay/wireguard/overlay-wireguard.la
plugins_overlay_wireguard_overlay_wireguard_la_SOURCES = plugins/overlay/wireguard/wireguard.c
plugins_overlay_wireguard_overlay_wireguard_la_CPPFLAGS = -I$(top_srcdir)/include
plugins_overlay_wireguard_overlay_wireguard_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(MNL_CFLAGS) $(CRYPTO_CFLAGS)
plugins_overlay_wireguard_overlay_wireguard_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_overlay_wireguard_overlay_wireguard_la_LIBADD = $(JSONC_LIBS) $(MNL_LIBS) $(CRYPTO_LIBS)
endif
