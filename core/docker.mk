core_docker_sources += core/docker.h
core_docker_sources += core/docker.c
