# tests: node side (node join / agent, master init)
check_PROGRAMS += tests/unit/test-node-side
TESTS += tests/unit/test-node-side
tests_unit_test_node_side_SOURCES = tests/unit/test-node-side.c
tests_unit_test_node_side_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_node_side_LDADD = core/libclusterctl-core.la
TESTS += tests/integration/swarm-e2e.sh
EXTRA_DIST += tests/integration/swarm-e2e.sh
