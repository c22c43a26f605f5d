# tests: the node side (node join / agent, master init, status) and the one
# controller client
check_PROGRAMS += tests/unit/test-node-side
TESTS += tests/unit/test-node-side
tests_unit_test_node_side_SOURCES = tests/unit/test-node-side.c
tests_unit_test_node_side_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_node_side_LDADD = core/libclusterctl-core.la
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
