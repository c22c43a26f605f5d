# tests: the controller (`master serve`): wire protocol, policy, durable
# state, the fdatasync worker, and the server on a real socket
check_PROGRAMS += tests/unit/test-protocol tests/unit/test-policy tests/unit/test-state-store
TESTS += tests/unit/test-protocol tests/unit/test-policy tests/unit/test-state-store
tests_unit_test_protocol_SOURCES = tests/unit/test-protocol.c
tests_unit_test_protocol_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_protocol_LDADD = core/libclusterctl-core.la
tests_unit_test_policy_SOURCES = tests/unit/test-policy.c
tests_unit_test_policy_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_policy_LDADD = core/libclusterctl-core.la
tests_unit_test_state_store_SOURCES = tests/unit/test-state-store.c
tests_unit_test_state_store_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) \
	-DSTATE_FIXTURES='"$(abs_top_srcdir)/tests/fixtures/state"'
EXTRA_DIST += tests/fixtures/state/v1/README tests/fixtures/state/v1/expected.txt \
	tests/fixtures/state/v1/state.snap tests/fixtures/state/v1/state.log
tests_unit_test_state_store_LDADD = core/libclusterctl-core.la
check_PROGRAMS += tests/unit/test-node-compat
TESTS += tests/unit/test-node-compat
tests_unit_test_node_compat_SOURCES = tests/unit/test-node-compat.c
tests_unit_test_node_compat_LDADD = core/libclusterctl-core.la
check_PROGRAMS += tests/unit/test-node-health
TESTS += tests/unit/test-node-health
tests_unit_test_node_health_SOURCES = tests/unit/test-node-health.c
tests_unit_test_node_health_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_node_health_LDADD = core/libclusterctl-core.la $(JSONC_LIBS)
check_PROGRAMS += tests/unit/test-sync-worker
TESTS += tests/unit/test-sync-worker
tests_unit_test_sync_worker_SOURCES = tests/unit/test-sync-worker.c
tests_unit_test_sync_worker_LDADD = core/libclusterctl-core.la
TESTS += tests/integration/controller.sh
EXTRA_DIST += tests/integration/controller.sh tests/integration/controller-lib.sh
TESTS += tests/integration/controller-metrics.sh
EXTRA_DIST += tests/integration/controller-metrics.sh
# The TLS channel: pinned key, proof of the secret, the wire captured.
TESTS += tests/integration/controller-tls.sh
EXTRA_DIST += tests/integration/controller-tls.sh
# Bounded before authentication: the limits, then thousands of hostile
# TLS clients against the real controller.
check_PROGRAMS += tests/unit/test-conn-limit
TESTS += tests/unit/test-conn-limit
tests_unit_test_conn_limit_SOURCES = tests/unit/test-conn-limit.c
tests_unit_test_conn_limit_LDADD = core/libclusterctl-core.la
check_PROGRAMS += tests/tools/hostile-clients
tests_tools_hostile_clients_SOURCES = tests/tools/hostile-clients.c
tests_tools_hostile_clients_CFLAGS = $(AM_CFLAGS) $(SSL_CFLAGS)
tests_tools_hostile_clients_LDADD = $(SSL_LIBS)
TESTS += tests/integration/controller-preauth.sh
# Per-node identity: a NodeID pinned to its node's key.
check_PROGRAMS += tests/tools/ctl-register
tests_tools_ctl_register_SOURCES = tests/tools/ctl-register.c
tests_tools_ctl_register_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_tools_ctl_register_LDADD = core/libclusterctl-core.la
TESTS += tests/integration/controller-identity.sh
EXTRA_DIST += tests/integration/controller-identity.sh
EXTRA_DIST += tests/integration/controller-preauth.sh
TESTS += tests/integration/controller-docker.sh
EXTRA_DIST += tests/integration/controller-docker.sh
# The checks on plugin output, driven through a fixture plugin built as a
# real module and loaded by the core's loader.
check_LTLIBRARIES += tests/fixtures/plugins/plan-fixture.la
tests_fixtures_plugins_plan_fixture_la_SOURCES = tests/fixtures/plugins/plan-fixture.c
tests_fixtures_plugins_plan_fixture_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
check_PROGRAMS += tests/unit/test-plan-check
TESTS += tests/unit/test-plan-check
tests_unit_test_plan_check_SOURCES = tests/unit/test-plan-check.c
tests_unit_test_plan_check_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests \
	-DPLAN_FIXTURE='"$(abs_top_builddir)/tests/fixtures/plugins/.libs/plan-fixture.so"'
tests_unit_test_plan_check_LDADD = core/libclusterctl-core.la
EXTRA_tests_unit_test_plan_check_DEPENDENCIES = tests/fixtures/plugins/plan-fixture.la
# The event loop under stress (controller-loop.sh): an LD_PRELOAD shim
# that slows epoll_wait and fdatasync on purpose, built without the
# sanitizers so it can be preloaded into any build, and a client that
# resets connections and times answers.
check_LTLIBRARIES += tests/tools/slow-loop-shim.la
tests_tools_slow_loop_shim_la_SOURCES = tests/tools/slow-loop-shim.c
tests_tools_slow_loop_shim_la_CFLAGS = -std=gnu11 $(WARN_CFLAGS)
tests_tools_slow_loop_shim_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
check_PROGRAMS += tests/tools/ctl-probe
tests_tools_ctl_probe_SOURCES = tests/tools/ctl-probe.c
TESTS += tests/integration/controller-loop.sh
EXTRA_DIST += tests/integration/controller-loop.sh
# No answer waits on Docker (controller-hung-docker.sh): an engine that
# accepts and never answers, or answers only for the tokens.
check_PROGRAMS += tests/tools/stuck-docker
tests_tools_stuck_docker_SOURCES = tests/tools/stuck-docker.c
TESTS += tests/integration/controller-hung-docker.sh
EXTRA_DIST += tests/integration/controller-hung-docker.sh
# Compaction's I/O off the loop (controller-slow-disk.sh), on a disk the
# slow-loop shim makes slow.
TESTS += tests/integration/controller-slow-disk.sh
EXTRA_DIST += tests/integration/controller-slow-disk.sh
check_PROGRAMS += tests/unit/test-store-compaction
TESTS += tests/unit/test-store-compaction
tests_unit_test_store_compaction_SOURCES = tests/unit/test-store-compaction.c
tests_unit_test_store_compaction_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_store_compaction_LDADD = core/libclusterctl-core.la
# Transient is not final (controller-transient.sh): waiting with
# RetryAfter for what passes by itself, and node join's answer to each.
TESTS += tests/integration/controller-transient.sh
EXTRA_DIST += tests/integration/controller-transient.sh
# For tools/test.sh: master serve's integration tests run again in the
# ASan/UBSan build (its event loop, its threads, every answer); but for
# controller-preauth.sh, whose bound on the peak RSS measures the plain
# build (ASan's shadow memory and quarantine are hundreds of MiB).
print-controller-tests:
	@echo $(filter-out tests/integration/controller-preauth.sh,$(filter tests/integration/controller%,$(TESTS)))
.PHONY: print-controller-tests
# master serve, node join and the agent under memcheck over controller.sh
# and the WireGuard lab (about 70 s); `make check-valgrind` runs it alone.
TESTS += tests/integration/valgrind-e2e.sh
EXTRA_DIST += tests/integration/memcheck.sh tests/integration/valgrind-e2e.sh
check-valgrind:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS=tests/integration/valgrind-e2e.sh
.PHONY: check-valgrind
