# plugins/common: what only the plugins share (JSON parsing and quoting over
# the SDK types, host-service polling); what the core needs too is in
# common/.  A libtool convenience library: its objects are
# built as PIC and copied into each plugin module, whose
# -export-symbols-regex keeps every cp_ symbol private to that module.
# Public SDK headers and json-c only, never the core.
noinst_LTLIBRARIES += plugins/common/libplugin-common.la
plugins_common_libplugin_common_la_SOURCES = \
	plugins/common/plugin-json.c plugins/common/plugin-json.h \
	plugins/common/plugin-host.c plugins/common/plugin-host.h
plugins_common_libplugin_common_la_CPPFLAGS = -I$(top_srcdir)/include $(COMMON_CPPFLAGS)
plugins_common_libplugin_common_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
# For a plugin's _CPPFLAGS and _LIBADD.
PLUGIN_COMMON_CPPFLAGS = -I$(top_srcdir)/include -I$(top_srcdir)/plugins/common $(COMMON_CPPFLAGS)
PLUGIN_COMMON_LIBS = plugins/common/libplugin-common.la $(COMMON_LIBS) $(JSONC_LIBS)
