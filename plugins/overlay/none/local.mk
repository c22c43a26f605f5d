if BUILD_OVERLAY_NONE
plugin_LTLIBRARIES += plugins/overlay/none/overlay-none.la
plugins_overlay_none_overlay_none_la_SOURCES = plugins/overlay/none/none.c
plugins_overlay_none_overlay_none_la_CPPFLAGS = -I$(top_srcdir)/include
plugins_overlay_none_overlay_none_la_CFLAGS = $(AM_CFLAGS) 
plugins_overlay_none_overlay_none_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_overlay_none_overlay_none_la_LIBADD = 
endif
