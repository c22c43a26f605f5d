if BUILD_OVERLAY_WIREGUARD
# Everything but the descriptor goes into a convenience library, so the
# unit tests link the very objects the plugin is made of.
noinst_LTLIBRARIES += plugins/overlay/wireguard/libwg.la
plugins_overlay_wireguard_libwg_la_SOURCES = \
	plugins/overlay/wireguard/wg.h \
	plugins/overlay/wireguard/wg-util.c \
	plugins/overlay/wireguard/wg-keys.c \
	plugins/overlay/wireguard/wg-alloc.c \
	plugins/overlay/wireguard/wg-device.c \
	plugins/overlay/wireguard/wg-uapi.c \
	plugins/overlay/wireguard/wg-genl.c \
	plugins/overlay/wireguard/wg-json.c \
	plugins/overlay/wireguard/wg-conf.c \
	plugins/overlay/wireguard/wg-index.c \
	plugins/overlay/wireguard/wg-backend.c \
	plugins/overlay/wireguard/wg-ctl.c
plugins_overlay_wireguard_libwg_la_CPPFLAGS = $(PLUGIN_COMMON_CPPFLAGS)
plugins_overlay_wireguard_libwg_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(MNL_CFLAGS) $(CRYPTO_CFLAGS)
plugins_overlay_wireguard_libwg_la_LIBADD = $(PLUGIN_COMMON_LIBS) $(MNL_LIBS) $(CRYPTO_LIBS) -lpthread

plugin_LTLIBRARIES += plugins/overlay/wireguard/overlay-wireguard.la
plugins_overlay_wireguard_overlay_wireguard_la_SOURCES = plugins/overlay/wireguard/wireguard.c
plugins_overlay_wireguard_overlay_wireguard_la_CPPFLAGS = $(PLUGIN_COMMON_CPPFLAGS)
plugins_overlay_wireguard_overlay_wireguard_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(MNL_CFLAGS) $(CRYPTO_CFLAGS)
plugins_overlay_wireguard_overlay_wireguard_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_overlay_wireguard_overlay_wireguard_la_LIBADD = plugins/overlay/wireguard/libwg.la $(JSONC_LIBS) $(MNL_LIBS) $(CRYPTO_LIBS)
endif
