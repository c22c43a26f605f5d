# tests: the tailscale and netbird overlay plugins
# Fakes of tailscaled's LocalAPI and of the netbird CLI, a driver that runs
# an overlay plugin through the core's loader, parser unit tests and the
# plugins' contract tests.
check_PROGRAMS += tests/fakes/fake-tailscaled tests/tools/overlay-driver
tests_fakes_fake_tailscaled_SOURCES = tests/fakes/fake-tailscaled.c
tests_fakes_fake_tailscaled_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_fakes_fake_tailscaled_LDADD = $(COMMON_LIBS) $(JSONC_LIBS)
tests_tools_overlay_driver_SOURCES = tests/tools/overlay-driver.c
tests_tools_overlay_driver_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_tools_overlay_driver_LDADD = core/libclusterctl-core.la
EXTRA_DIST += tests/fakes/fake-netbird.sh

check_PROGRAMS += tests/unit/test-tailscale-json
TESTS += tests/unit/test-tailscale-json
tests_unit_test_tailscale_json_SOURCES = tests/unit/test-tailscale-json.c \
	plugins/overlay/tailscale/tailscale-json.c plugins/overlay/tailscale/tailscale-json.h
tests_unit_test_tailscale_json_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/overlay/tailscale \
	-I$(top_srcdir)/plugins/common
tests_unit_test_tailscale_json_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_tailscale_json_LDADD = $(PLUGIN_COMMON_LIBS)

check_PROGRAMS += tests/unit/test-netbird-json
TESTS += tests/unit/test-netbird-json
tests_unit_test_netbird_json_SOURCES = tests/unit/test-netbird-json.c \
	plugins/overlay/netbird/netbird-json.c plugins/overlay/netbird/netbird-json.h
tests_unit_test_netbird_json_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/overlay/netbird \
	-I$(top_srcdir)/plugins/common
tests_unit_test_netbird_json_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_netbird_json_LDADD = $(PLUGIN_COMMON_LIBS)

TESTS += tests/integration/tailscale-plugin.sh tests/integration/netbird-plugin.sh
EXTRA_DIST += tests/integration/tailscale-plugin.sh tests/integration/netbird-plugin.sh
