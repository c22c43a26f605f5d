# tests of the gluster issue
