if BUILD_STORAGE_NONE
plugin_LTLIBRARIES += plugins/storage/none/storage-none.la
plugins_storage_none_storage_none_la_SOURCES = plugins/storage/none/none.c
plugins_storage_none_storage_none_la_CPPFLAGS = -I$(top_srcdir)/include
plugins_storage_none_storage_none_la_CFLAGS = $(AM_CFLAGS) 
plugins_storage_none_storage_none_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_storage_none_storage_none_la_LIBADD = 
endif
