# tests: fuzz
# One fuzz target per parser of outside input (DEVELOPERS.md, "Fuzzing").
# Built with libFuzzer by ./configure CC=clang --enable-fuzzing and run by
# `make fuzz` (FUZZ_SECONDS each); in every other build each target is
# linked with fuzz-replay.c and replays its corpus in `make check`.
FUZZ_SOURCES = tests/fuzz/fuzz.h
if FUZZING
FUZZ_LINK_FLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
else
FUZZ_SOURCES += tests/fuzz/fuzz-replay.c
FUZZ_LINK_FLAGS = $(AM_LDFLAGS)
endif
FUZZ_CPP = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/fuzz -DFUZZ_SRCDIR='"$(abs_top_srcdir)"'
FUZZ_PROGS =

# The core's parsers: linked with the objects the program runs.
FUZZ_PROGS += tests/fuzz/fuzz-protocol
tests_fuzz_fuzz_protocol_SOURCES = tests/fuzz/fuzz-protocol.c $(FUZZ_SOURCES)
tests_fuzz_fuzz_protocol_CPPFLAGS = $(FUZZ_CPP)
tests_fuzz_fuzz_protocol_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(MNL_CFLAGS)
tests_fuzz_fuzz_protocol_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_protocol_LDADD = core/libclusterctl-core.la
FUZZ_PROGS += tests/fuzz/fuzz-config-file
tests_fuzz_fuzz_config_file_SOURCES = tests/fuzz/fuzz-config-file.c $(FUZZ_SOURCES)
tests_fuzz_fuzz_config_file_CPPFLAGS = $(FUZZ_CPP)
tests_fuzz_fuzz_config_file_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(MNL_CFLAGS)
tests_fuzz_fuzz_config_file_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_config_file_LDADD = core/libclusterctl-core.la
FUZZ_PROGS += tests/fuzz/fuzz-cli
tests_fuzz_fuzz_cli_SOURCES = tests/fuzz/fuzz-cli.c $(FUZZ_SOURCES)
tests_fuzz_fuzz_cli_CPPFLAGS = $(FUZZ_CPP)
tests_fuzz_fuzz_cli_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(MNL_CFLAGS)
tests_fuzz_fuzz_cli_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_cli_LDADD = core/libclusterctl-core.la
FUZZ_PROGS += tests/fuzz/fuzz-docker
tests_fuzz_fuzz_docker_SOURCES = tests/fuzz/fuzz-docker.c $(FUZZ_SOURCES)
tests_fuzz_fuzz_docker_CPPFLAGS = $(FUZZ_CPP)
tests_fuzz_fuzz_docker_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(MNL_CFLAGS)
tests_fuzz_fuzz_docker_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_docker_LDADD = core/libclusterctl-core.la
FUZZ_PROGS += tests/fuzz/fuzz-netlink
tests_fuzz_fuzz_netlink_SOURCES = tests/fuzz/fuzz-netlink.c $(FUZZ_SOURCES)
tests_fuzz_fuzz_netlink_CPPFLAGS = $(FUZZ_CPP)
tests_fuzz_fuzz_netlink_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(MNL_CFLAGS)
tests_fuzz_fuzz_netlink_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_netlink_LDADD = core/libclusterctl-core.la
FUZZ_PROGS += tests/fuzz/fuzz-ctl-client
tests_fuzz_fuzz_ctl_client_SOURCES = tests/fuzz/fuzz-ctl-client.c $(FUZZ_SOURCES)
tests_fuzz_fuzz_ctl_client_CPPFLAGS = $(FUZZ_CPP)
tests_fuzz_fuzz_ctl_client_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(MNL_CFLAGS)
tests_fuzz_fuzz_ctl_client_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_ctl_client_LDADD = core/libclusterctl-core.la
FUZZ_PROGS += tests/fuzz/fuzz-state-store
tests_fuzz_fuzz_state_store_SOURCES = tests/fuzz/fuzz-state-store.c $(FUZZ_SOURCES)
tests_fuzz_fuzz_state_store_CPPFLAGS = $(FUZZ_CPP)
tests_fuzz_fuzz_state_store_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(MNL_CFLAGS)
tests_fuzz_fuzz_state_store_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_state_store_LDADD = core/libclusterctl-core.la

# Docker replies through the real HTTP client, from a fake engine thread.
FUZZ_PROGS += tests/fuzz/fuzz-docker-http
tests_fuzz_fuzz_docker_http_SOURCES = tests/fuzz/fuzz-docker-http.c $(FUZZ_SOURCES)
tests_fuzz_fuzz_docker_http_CPPFLAGS = $(FUZZ_CPP)
tests_fuzz_fuzz_docker_http_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) -pthread
tests_fuzz_fuzz_docker_http_LDFLAGS = $(FUZZ_LINK_FLAGS) -pthread
tests_fuzz_fuzz_docker_http_LDADD = core/libclusterctl-core.la

# The plugins' parsers: the plugin's own sources, as its unit tests link them.
FUZZ_PROGS += tests/fuzz/fuzz-plugin-json
tests_fuzz_fuzz_plugin_json_SOURCES = tests/fuzz/fuzz-plugin-json.c $(FUZZ_SOURCES)
tests_fuzz_fuzz_plugin_json_CPPFLAGS = $(FUZZ_CPP) -I$(top_srcdir)/plugins/common
tests_fuzz_fuzz_plugin_json_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_fuzz_fuzz_plugin_json_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_plugin_json_LDADD = $(PLUGIN_COMMON_LIBS)

FUZZ_PROGS += tests/fuzz/fuzz-tailscale-json
tests_fuzz_fuzz_tailscale_json_SOURCES = tests/fuzz/fuzz-tailscale-json.c $(FUZZ_SOURCES) \
	plugins/overlay/tailscale/tailscale-json.c
tests_fuzz_fuzz_tailscale_json_CPPFLAGS = $(FUZZ_CPP) -I$(top_srcdir)/plugins/common \
	-I$(top_srcdir)/plugins/overlay/tailscale
tests_fuzz_fuzz_tailscale_json_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_fuzz_fuzz_tailscale_json_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_tailscale_json_LDADD = $(PLUGIN_COMMON_LIBS)

FUZZ_PROGS += tests/fuzz/fuzz-netbird-json
tests_fuzz_fuzz_netbird_json_SOURCES = tests/fuzz/fuzz-netbird-json.c $(FUZZ_SOURCES) \
	plugins/overlay/netbird/netbird-json.c
tests_fuzz_fuzz_netbird_json_CPPFLAGS = $(FUZZ_CPP) -I$(top_srcdir)/plugins/common \
	-I$(top_srcdir)/plugins/overlay/netbird
tests_fuzz_fuzz_netbird_json_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_fuzz_fuzz_netbird_json_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_netbird_json_LDADD = $(PLUGIN_COMMON_LIBS)

if BUILD_OVERLAY_WIREGUARD
FUZZ_WG_CPP = $(FUZZ_CPP) -I$(top_srcdir)/plugins/common -I$(top_srcdir)/plugins/overlay/wireguard
FUZZ_WG_CC = $(AM_CFLAGS) $(JSONC_CFLAGS) $(MNL_CFLAGS) $(CRYPTO_CFLAGS)

FUZZ_PROGS += tests/fuzz/fuzz-wg-uapi
tests_fuzz_fuzz_wg_uapi_SOURCES = tests/fuzz/fuzz-wg-uapi.c tests/fuzz/fuzz-wg.h $(FUZZ_SOURCES)
tests_fuzz_fuzz_wg_uapi_CPPFLAGS = $(FUZZ_WG_CPP)
tests_fuzz_fuzz_wg_uapi_CFLAGS = $(FUZZ_WG_CC)
tests_fuzz_fuzz_wg_uapi_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_wg_uapi_LDADD = plugins/overlay/wireguard/libwg.la

FUZZ_PROGS += tests/fuzz/fuzz-wg-genl
tests_fuzz_fuzz_wg_genl_SOURCES = tests/fuzz/fuzz-wg-genl.c tests/fuzz/fuzz-wg.h $(FUZZ_SOURCES)
tests_fuzz_fuzz_wg_genl_CPPFLAGS = $(FUZZ_WG_CPP)
tests_fuzz_fuzz_wg_genl_CFLAGS = $(FUZZ_WG_CC)
tests_fuzz_fuzz_wg_genl_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_wg_genl_LDADD = plugins/overlay/wireguard/libwg.la core/libclusterctl-core.la $(MNL_LIBS)

FUZZ_PROGS += tests/fuzz/fuzz-wg-json
tests_fuzz_fuzz_wg_json_SOURCES = tests/fuzz/fuzz-wg-json.c $(FUZZ_SOURCES)
tests_fuzz_fuzz_wg_json_CPPFLAGS = $(FUZZ_WG_CPP)
tests_fuzz_fuzz_wg_json_CFLAGS = $(FUZZ_WG_CC)
tests_fuzz_fuzz_wg_json_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_wg_json_LDADD = plugins/overlay/wireguard/libwg.la
endif

if BUILD_STORAGE_GLUSTER
FUZZ_GLUSTER_CPP = $(FUZZ_CPP) -I$(top_srcdir)/plugins/common -I$(top_srcdir)/plugins/storage/gluster
FUZZ_GLUSTER_CC = $(AM_CFLAGS) $(JSONC_CFLAGS) $(XML_CFLAGS)

FUZZ_PROGS += tests/fuzz/fuzz-gluster-xml
tests_fuzz_fuzz_gluster_xml_SOURCES = tests/fuzz/fuzz-gluster-xml.c $(FUZZ_SOURCES) \
	plugins/storage/gluster/gluster-xml.c plugins/storage/gluster/gluster-plan.c \
	plugins/storage/gluster/gluster-node.c
tests_fuzz_fuzz_gluster_xml_CPPFLAGS = $(FUZZ_GLUSTER_CPP)
tests_fuzz_fuzz_gluster_xml_CFLAGS = $(FUZZ_GLUSTER_CC)
tests_fuzz_fuzz_gluster_xml_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_gluster_xml_LDADD = $(PLUGIN_COMMON_LIBS) $(XML_LIBS)

# gluster.c is #included by the target (its payload parser is static).
FUZZ_PROGS += tests/fuzz/fuzz-gluster-json
tests_fuzz_fuzz_gluster_json_SOURCES = tests/fuzz/fuzz-gluster-json.c $(FUZZ_SOURCES) \
	plugins/storage/gluster/gluster-cli.c plugins/storage/gluster/gluster-ctl.c \
	plugins/storage/gluster/gluster-node.c plugins/storage/gluster/gluster-plan.c \
	plugins/storage/gluster/gluster-xml.c
tests_fuzz_fuzz_gluster_json_CPPFLAGS = $(FUZZ_GLUSTER_CPP)
tests_fuzz_fuzz_gluster_json_CFLAGS = $(FUZZ_GLUSTER_CC) -pthread
tests_fuzz_fuzz_gluster_json_LDFLAGS = $(FUZZ_LINK_FLAGS) -pthread
tests_fuzz_fuzz_gluster_json_LDADD = $(PLUGIN_COMMON_LIBS) $(XML_LIBS)
endif

check_PROGRAMS += $(FUZZ_PROGS)
if !FUZZING
TESTS += $(FUZZ_PROGS)
endif
EXTRA_DIST += tests/fuzz/corpus tests/fuzz/run-fuzz.sh tests/fuzz/seeds-from-fixtures.py

# make fuzz [FUZZ_SECONDS=N]: every target for N seconds under libFuzzer,
# ASan and UBSan, one TAP result each (tests/fuzz/run-fuzz.sh).
FUZZ_SECONDS = 300
if FUZZING
fuzz: $(FUZZ_PROGS)
	@FUZZ_SECONDS='$(FUZZ_SECONDS)' $(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS='$(FUZZ_PROGS)' \
		check_PROGRAMS='$(FUZZ_PROGS)' check_LTLIBRARIES= check_DATA= dist_check_SCRIPTS= \
		LOG_COMPILER='$(SHELL) $(abs_top_srcdir)/tests/fuzz/run-fuzz.sh'
else
fuzz:
	@echo "make fuzz needs a libFuzzer build: ./configure CC=clang --enable-fuzzing (Debian: apt-get install clang libclang-rt-14-dev)." >&2
	@echo "Here, make check replays every target's corpus (tests/fuzz/corpus/) instead." >&2
	@exit 1
endif
mostlyclean-local: clean-fuzz
clean-fuzz:
	rm -rf tests/fuzz/work tests/fuzz/findings
.PHONY: fuzz clean-fuzz
