# tests: the node side (node join / agent, master init, status) and the one
# controller client
check_PROGRAMS += tests/unit/test-node-side
TESTS += tests/unit/test-node-side
tests_unit_test_node_side_SOURCES = tests/unit/test-node-side.c
tests_unit_test_node_side_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_node_side_LDADD = core/libclusterctl-core.la
check_PROGRAMS += tests/unit/test-swarm-mtu
TESTS += tests/unit/test-swarm-mtu
tests_unit_test_swarm_mtu_SOURCES = tests/unit/test-swarm-mtu.c
tests_unit_test_swarm_mtu_LDADD = core/libclusterctl-core.la
# The one controller client: request, typed answer, caps, deadline.
check_PROGRAMS += tests/unit/test-ctl-client
TESTS += tests/unit/test-ctl-client
tests_unit_test_ctl_client_SOURCES = tests/unit/test-ctl-client.c
tests_unit_test_ctl_client_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_ctl_client_LDADD = core/libclusterctl-core.la
# The encrypted, pinned channel: key and certificate, join token, the
# client against a TLS server made of the controller's pieces.
check_PROGRAMS += tests/unit/test-tls
TESTS += tests/unit/test-tls
tests_unit_test_tls_SOURCES = tests/unit/test-tls.c
tests_unit_test_tls_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_tls_LDADD = core/libclusterctl-core.la
TESTS += tests/integration/swarm-e2e.sh
EXTRA_DIST += tests/integration/swarm-e2e.sh
# The upgrade test's "new release": the same program, saying another
# version (tests/integration/upgrade-e2e.sh replaces the controller with it).
check_PROGRAMS += tests/tools/clusterctl-next
tests_tools_clusterctl_next_SOURCES = core/main.c
tests_tools_clusterctl_next_CPPFLAGS = $(AM_CPPFLAGS) -DCLUSTERCTL_VERSION_SUFFIX='"+next"'
tests_tools_clusterctl_next_CFLAGS = $(AM_CFLAGS) $(CORE_VISIBILITY) $(JSONC_CFLAGS)
tests_tools_clusterctl_next_LDADD = core/libclusterctl-core.la
TESTS += tests/integration/upgrade-e2e.sh
EXTRA_DIST += tests/integration/upgrade-e2e.sh
