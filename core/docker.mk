core_docker_sources += core/docker.h
