# The soak (bench/soak.c, tests/integration/soak.sh): mixed load against
# master serve, RSS and descriptors sampled every second.  `make check`
# runs 60 s of it; `make soak SOAK_SECONDS=N` (default 600) the long one,
# keeping its samples in soak-report/ (figures: bench/README.md).
noinst_PROGRAMS += bench/soak
bench_soak_SOURCES = bench/soak.c
bench_soak_LDADD = $(COMMON_LIBS)
TESTS += tests/integration/soak.sh
EXTRA_DIST += bench/soak.mk tests/integration/soak.sh
SOAK_SECONDS = 600
soak: all $(check_DATA)
	SOAK_SECONDS=$(SOAK_SECONDS) SOAK_REPORT='$(abs_top_builddir)/soak-report' \
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
		$(SHELL) $(top_srcdir)/tests/integration/soak.sh
.PHONY: soak
clean-local: clean-soak-report
clean-soak-report:
	rm -rf soak-report
.PHONY: clean-soak-report
