# tests: the Docker Engine API client
# The probe the live test runs inside lab hosts (not a test by itself).
check_PROGRAMS += tests/unit/test-docker-live
tests_unit_test_docker_live_SOURCES = tests/unit/test-docker-live.c
tests_unit_test_docker_live_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_docker_live_LDADD = core/libclusterctl-core.la

# Reply validation, error mapping, negotiation; a fake engine on a socket.
check_PROGRAMS += tests/unit/test-docker
TESTS += tests/unit/test-docker
tests_unit_test_docker_SOURCES = tests/unit/test-docker.c
tests_unit_test_docker_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) -pthread
tests_unit_test_docker_LDADD = core/libclusterctl-core.la -lpthread
EXTRA_DIST += tests/fixtures/docker/info-inactive.json tests/fixtures/docker/info-manager.json \
	tests/fixtures/docker/info-worker.json tests/fixtures/docker/swarm.json tests/fixtures/docker/nodes.json \
	tests/fixtures/docker/info-manager-no-leader.json

# A real dockerd in three lab hosts (root; skips elsewhere).
TESTS += tests/integration/docker-live.sh
EXTRA_DIST += tests/integration/docker-live.sh
