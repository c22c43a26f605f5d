# tests: the wireguard overlay plugin
if BUILD_OVERLAY_WIREGUARD
WG_TEST_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests -I$(top_srcdir)/plugins/overlay/wireguard \
	-I$(top_srcdir)/plugins/common \
	$(JSONC_CFLAGS) $(MNL_CFLAGS) $(CRYPTO_CFLAGS)
WG_TEST_LDADD = plugins/overlay/wireguard/libwg.la

check_PROGRAMS += tests/unit/test-wg-keys
TESTS += tests/unit/test-wg-keys
tests_unit_test_wg_keys_SOURCES = tests/unit/test-wg-keys.c
tests_unit_test_wg_keys_CFLAGS = $(WG_TEST_CFLAGS)
tests_unit_test_wg_keys_LDADD = $(WG_TEST_LDADD)
endif
if BUILD_OVERLAY_WIREGUARD
check_PROGRAMS += tests/unit/test-wg-plan
TESTS += tests/unit/test-wg-plan
tests_unit_test_wg_plan_SOURCES = tests/unit/test-wg-plan.c plugins/overlay/wireguard/wireguard.c
tests_unit_test_wg_plan_CPPFLAGS = -I$(top_srcdir)/include $(COMMON_CPPFLAGS)
tests_unit_test_wg_plan_CFLAGS = $(WG_TEST_CFLAGS)
tests_unit_test_wg_plan_LDADD = $(WG_TEST_LDADD)
endif
if BUILD_OVERLAY_WIREGUARD
check_PROGRAMS += tests/unit/test-wg-uapi
TESTS += tests/unit/test-wg-uapi
tests_unit_test_wg_uapi_SOURCES = tests/unit/test-wg-uapi.c
tests_unit_test_wg_uapi_CFLAGS = $(WG_TEST_CFLAGS)
tests_unit_test_wg_uapi_LDADD = $(WG_TEST_LDADD)
endif
EXTRA_DIST += tests/fixtures/wireguard/README tests/fixtures/wireguard/uapi-get-reply.txt
if BUILD_OVERLAY_WIREGUARD
check_PROGRAMS += tests/unit/test-wg-genl
TESTS += tests/unit/test-wg-genl
tests_unit_test_wg_genl_SOURCES = tests/unit/test-wg-genl.c
tests_unit_test_wg_genl_CFLAGS = $(WG_TEST_CFLAGS)
tests_unit_test_wg_genl_LDADD = $(WG_TEST_LDADD) $(MNL_LIBS)
endif
EXTRA_DIST += tests/fixtures/wireguard/gen-genl.py \
	tests/fixtures/wireguard/genl-getfamily.hex tests/fixtures/wireguard/genl-family-reply.hex \
	tests/fixtures/wireguard/genl-error-enoent.hex tests/fixtures/wireguard/genl-get-request.hex \
	tests/fixtures/wireguard/genl-get-reply-1.hex tests/fixtures/wireguard/genl-get-reply-2.hex \
	tests/fixtures/wireguard/genl-set-request.hex
if BUILD_OVERLAY_WIREGUARD
# The lab's driver: plugin ops through the core's loader, records in files.
check_PROGRAMS += tests/tools/wg-driver
tests_tools_wg_driver_SOURCES = tests/tools/wg-driver.c
tests_tools_wg_driver_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_tools_wg_driver_LDADD = core/libclusterctl-core.la
TESTS += tests/integration/wireguard-mesh.sh
EXTRA_DIST += tests/integration/wireguard-mesh.sh
endif
if BUILD_OVERLAY_WIREGUARD
check_PROGRAMS += tests/unit/test-wg-json
TESTS += tests/unit/test-wg-json
tests_unit_test_wg_json_SOURCES = tests/unit/test-wg-json.c
tests_unit_test_wg_json_CFLAGS = $(WG_TEST_CFLAGS)
tests_unit_test_wg_json_LDADD = $(WG_TEST_LDADD)
endif
if BUILD_OVERLAY_WIREGUARD
# Issue 5 end to end: master + two nodes, a Swarm over the wireguard mesh.
TESTS += tests/integration/wireguard-e2e.sh
endif
EXTRA_DIST += tests/integration/wireguard-e2e.sh
