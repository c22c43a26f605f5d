# tests: docker
