if BUILD_STORAGE_GLUSTER
plugin_LTLIBRARIES += plugins/storage/gluster/storage-gluster.la
plugins_storage_gluster_storage_gluster_la_SOURCES = plugins/storage/gluster/gluster.c
plugins_storage_gluster_storage_gluster_la_CPPFLAGS = -I$(top_srcdir)/include
plugins_storage_gluster_storage_gluster_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(XML_CFLAGS)
plugins_storage_gluster_storage_gluster_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_storage_gluster_storage_gluster_la_LIBADD = $(JSONC_LIBS) $(XML_LIBS)
endif
