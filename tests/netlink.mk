# tests: rtnetlink (parsing/building, recorded fixtures, a live namespace) and
# IP detection on it (ranking, `clusterctl ip`)
check_PROGRAMS += tests/unit/test-netlink tests/unit/test-netlink-live tests/unit/test-ipdetect
TESTS += tests/unit/test-netlink tests/unit/test-netlink-live tests/unit/test-ipdetect
tests_unit_test_netlink_SOURCES = tests/unit/test-netlink.c
tests_unit_test_netlink_CFLAGS = $(AM_CFLAGS) $(MNL_CFLAGS) \
	-DFIXTURES='"$(abs_top_srcdir)/tests/fixtures/netlink"'
tests_unit_test_netlink_LDADD = core/libclusterctl-core.la $(MNL_LIBS)
tests_unit_test_netlink_live_SOURCES = tests/unit/test-netlink-live.c
tests_unit_test_netlink_live_CFLAGS = $(AM_CFLAGS) $(MNL_CFLAGS)
tests_unit_test_netlink_live_LDADD = core/libclusterctl-core.la $(MNL_LIBS)
tests_unit_test_ipdetect_SOURCES = tests/unit/test-ipdetect.c
tests_unit_test_ipdetect_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_ipdetect_LDADD = core/libclusterctl-core.la

# The fixture recorder: built with the tests, run by hand (record.sh).
check_PROGRAMS += tests/fixtures/netlink/record
tests_fixtures_netlink_record_SOURCES = tests/fixtures/netlink/record.c
tests_fixtures_netlink_record_CFLAGS = $(AM_CFLAGS) $(MNL_CFLAGS)
tests_fixtures_netlink_record_LDADD = core/libclusterctl-core.la $(MNL_LIBS)
EXTRA_DIST += tests/fixtures/netlink/record.sh \
	tests/fixtures/netlink/addr-dump.hex tests/fixtures/netlink/link-dump.hex \
	tests/fixtures/netlink/link-get-eth0.hex tests/fixtures/netlink/link-get-enodev.hex \
	tests/fixtures/netlink/link-set-ack.hex tests/fixtures/netlink/link-set-einval.hex \
	tests/fixtures/netlink/addr-add-ack.hex tests/fixtures/netlink/addr-add-eexist.hex \
	tests/fixtures/netlink/addr-del-eaddrnotavail.hex

TESTS += tests/integration/ipdetect-netns.sh
EXTRA_DIST += tests/integration/ipdetect-netns.sh
