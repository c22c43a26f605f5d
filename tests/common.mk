# tests: common/ (buffers, clocks, address and name parsing, files); they
# link the library alone, as a plugin does.
common_unit_tests = tests/unit/test-common-buf tests/unit/test-common-file \
	tests/unit/test-common-net tests/unit/test-common-time
check_PROGRAMS += $(common_unit_tests)
TESTS += $(common_unit_tests)
tests_unit_test_common_buf_SOURCES = tests/unit/test-common-buf.c
tests_unit_test_common_buf_CPPFLAGS = $(COMMON_CPPFLAGS)
tests_unit_test_common_buf_LDADD = $(COMMON_LIBS)
# --wrap: the test sees (and can fail) the fsync and rename of a write.
tests_unit_test_common_file_SOURCES = tests/unit/test-common-file.c
tests_unit_test_common_file_CPPFLAGS = $(COMMON_CPPFLAGS)
tests_unit_test_common_file_LDADD = $(COMMON_LIBS)
tests_unit_test_common_file_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=fsync -Wl,--wrap=rename
tests_unit_test_common_net_SOURCES = tests/unit/test-common-net.c
tests_unit_test_common_net_CPPFLAGS = $(COMMON_CPPFLAGS)
tests_unit_test_common_net_LDADD = $(COMMON_LIBS)
tests_unit_test_common_time_SOURCES = tests/unit/test-common-time.c
tests_unit_test_common_time_CPPFLAGS = $(COMMON_CPPFLAGS)
tests_unit_test_common_time_LDADD = $(COMMON_LIBS)
