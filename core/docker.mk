# core, docker: the Docker Engine API client (over http-unix.c).
core_docker_sources += core/docker.h
core_docker_sources += core/docker.c
