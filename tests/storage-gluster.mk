# tests: the gluster storage plugin
# Unit tests build the plugin's own sources (no core, no host) and read
# the answers recorded from a real glusterd in tests/fixtures/gluster/.
if BUILD_STORAGE_GLUSTER
gluster_test_cflags = $(AM_CFLAGS) -I$(top_srcdir)/plugins/storage/gluster -I$(top_srcdir)/plugins/common \
	$(JSONC_CFLAGS) $(XML_CFLAGS)

check_PROGRAMS += tests/unit/test-gluster-xml
TESTS += tests/unit/test-gluster-xml
tests_unit_test_gluster_xml_SOURCES = tests/unit/test-gluster-xml.c tests/unit/gluster-fixture.h \
	plugins/storage/gluster/gluster-xml.c plugins/storage/gluster/gluster-cli.c \
	plugins/storage/gluster/gluster-plan.c plugins/storage/gluster/gluster-node.c
tests_unit_test_gluster_xml_CFLAGS = $(gluster_test_cflags)
tests_unit_test_gluster_xml_LDADD = $(PLUGIN_COMMON_LIBS) $(XML_LIBS)
endif
EXTRA_DIST += tests/fixtures/gluster
if BUILD_STORAGE_GLUSTER
check_PROGRAMS += tests/unit/test-gluster-plan
TESTS += tests/unit/test-gluster-plan
tests_unit_test_gluster_plan_SOURCES = tests/unit/test-gluster-plan.c tests/unit/gluster-fixture.h \
	plugins/storage/gluster/gluster-xml.c plugins/storage/gluster/gluster-plan.c \
	plugins/storage/gluster/gluster-node.c
tests_unit_test_gluster_plan_CFLAGS = $(gluster_test_cflags)
tests_unit_test_gluster_plan_LDADD = $(PLUGIN_COMMON_LIBS) $(XML_LIBS)
endif
if BUILD_STORAGE_GLUSTER
check_PROGRAMS += tests/unit/test-gluster-node
TESTS += tests/unit/test-gluster-node
tests_unit_test_gluster_node_SOURCES = tests/unit/test-gluster-node.c plugins/storage/gluster/gluster-node.c
tests_unit_test_gluster_node_CFLAGS = $(gluster_test_cflags)
tests_unit_test_gluster_node_LDADD = $(PLUGIN_COMMON_LIBS)
endif
if BUILD_STORAGE_GLUSTER
# The controller's worker and snapshot, with a fake gluster CLI that
# answers from the recorded fixtures.
check_PROGRAMS += tests/unit/test-gluster-ctl
TESTS += tests/unit/test-gluster-ctl
tests_unit_test_gluster_ctl_SOURCES = tests/unit/test-gluster-ctl.c tests/unit/gluster-fixture.h \
	plugins/storage/gluster/gluster-ctl.c plugins/storage/gluster/gluster-cli.c \
	plugins/storage/gluster/gluster-xml.c plugins/storage/gluster/gluster-plan.c \
	plugins/storage/gluster/gluster-node.c
tests_unit_test_gluster_ctl_CFLAGS = $(gluster_test_cflags) -pthread
tests_unit_test_gluster_ctl_LDADD = $(PLUGIN_COMMON_LIBS) $(XML_LIBS)
tests_unit_test_gluster_ctl_LDFLAGS = -pthread
endif
if BUILD_STORAGE_GLUSTER
# The lab test's driver: the built plugin loaded by the core's own loader.
check_PROGRAMS += tests/tools/gluster-driver
tests_tools_gluster_driver_SOURCES = tests/tools/gluster-driver.c
tests_tools_gluster_driver_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_tools_gluster_driver_LDADD = core/libclusterctl-core.la
endif
# Lab: real glusterd in network/mount namespaces (root, /dev/fuse, loop
# devices); SKIPs elsewhere, FAILs under CI=true.
TESTS += tests/integration/gluster-lab.sh
EXTRA_DIST += tests/integration/gluster-lab.sh
# End to end through the product's commands (master init/serve, node join)
# on three lab hosts, each with dockerd, glusterd and a brick file system.
TESTS += tests/integration/gluster-e2e.sh
EXTRA_DIST += tests/integration/gluster-e2e.sh tests/integration/gluster-lib.sh
