# tests: gluster
