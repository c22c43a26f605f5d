# tests of the swarm issue
