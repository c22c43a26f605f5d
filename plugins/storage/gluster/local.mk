if BUILD_STORAGE_GLUSTER
plugin_LTLIBRARIES += plugins/storage/gluster/storage-gluster.la
plugins_storage_gluster_storage_gluster_la_SOURCES = \
	plugins/storage/gluster/gluster.c \
	plugins/storage/gluster/gluster-cli.c plugins/storage/gluster/gluster-cli.h \
	plugins/storage/gluster/gluster-ctl.c plugins/storage/gluster/gluster-ctl.h \
	plugins/storage/gluster/gluster-node.c plugins/storage/gluster/gluster-node.h \
	plugins/storage/gluster/gluster-plan.c plugins/storage/gluster/gluster-plan.h \
	plugins/storage/gluster/gluster-xml.c plugins/storage/gluster/gluster-xml.h
plugins_storage_gluster_storage_gluster_la_CPPFLAGS = $(PLUGIN_COMMON_CPPFLAGS)
plugins_storage_gluster_storage_gluster_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(XML_CFLAGS) -pthread
plugins_storage_gluster_storage_gluster_la_LDFLAGS = $(PLUGIN_LDFLAGS) -pthread
plugins_storage_gluster_storage_gluster_la_LIBADD = $(PLUGIN_COMMON_LIBS) $(XML_LIBS)
endif
