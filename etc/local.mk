# The commented sample configuration, installed as documentation of every
# key and as a starting point for /etc/clusterctl/clusterctl.conf.
clusterctlconfdir = $(sysconfdir)/clusterctl
dist_clusterctlconf_DATA = etc/clusterctl.conf.sample
