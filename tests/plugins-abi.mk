# tests: the plugin ABI as an author meets it: the loader's refusals, the
# SDK as a product (header, .pc, man page, example), and plugins/common.
TESTS += tests/integration/plugin-loader.sh
EXTRA_DIST += tests/integration/plugin-loader.sh tests/fixtures/plugins/bad-plugin.c
TESTS += tests/integration/sdk.sh
EXTRA_DIST += tests/integration/sdk.sh
# What a plugin's keys look like from inside it: booleans, types from
# every source, descriptor checks, --dry-run.
TESTS += tests/integration/plugin-contract.sh
EXTRA_DIST += tests/integration/plugin-contract.sh tests/fixtures/plugins/contract-plugin.c
# The harness (clusterctl-plugin-test) driving the example, fixtures and
# breaches of the contract, and valgrind over both.
TESTS += tests/integration/plugin-harness.sh
EXTRA_DIST += tests/integration/plugin-harness.sh tests/fixtures/plugins/harness-plugin.c
# clusterctl status shows the local providers' own status().
TESTS += tests/integration/status-providers.sh
EXTRA_DIST += tests/integration/status-providers.sh
# node join warns on a plugin's JSON that is none, and sends none of it.
TESTS += tests/integration/plugin-json-warnings.sh
EXTRA_DIST += tests/integration/plugin-json-warnings.sh
# core -> common <- plugins, and one copy of what common/ holds.
TESTS += tests/integration/layout.sh
EXTRA_DIST += tests/integration/layout.sh

# plugins/common: JSON helpers over the SDK types, host polling.
check_PROGRAMS += tests/unit/test-plugin-common
TESTS += tests/unit/test-plugin-common
tests_unit_test_plugin_common_SOURCES = tests/unit/test-plugin-common.c
tests_unit_test_plugin_common_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
tests_unit_test_plugin_common_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_plugin_common_LDADD = $(PLUGIN_COMMON_LIBS)
