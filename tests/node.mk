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
TESTS += tests/integration/swarm-e2e.sh
EXTRA_DIST += tests/integration/swarm-e2e.sh
