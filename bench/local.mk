# bench: load generator and bare-server bound for master serve (see bench/README.md)
noinst_PROGRAMS += bench/loadgen bench/bare-server bench/fake-docker
bench_loadgen_SOURCES = bench/loadgen.c
bench_bare_server_SOURCES = bench/bare-server.c
bench_fake_docker_SOURCES = bench/fake-docker.c
bench_loadgen_LDADD = $(COMMON_LIBS)
bench_bare_server_LDADD = $(COMMON_LIBS)
EXTRA_DIST += bench/run.sh bench/scale.sh bench/fake-gluster bench/README.md
include bench/soak.mk
