# The commented sample configuration, installed as documentation of every
# key and as a starting point for /etc/clusterctl/clusterctl.conf, and the
# agent's systemd unit (its ExecStart path follows --prefix).
clusterctlconfdir = $(sysconfdir)/clusterctl
dist_clusterctlconf_DATA = etc/clusterctl.conf.sample
systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = etc/clusterctl-agent.service
CLEANFILES += etc/clusterctl-agent.service
EXTRA_DIST += etc/clusterctl-agent.service.in
etc/clusterctl-agent.service: etc/clusterctl-agent.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && sed -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/etc/clusterctl-agent.service.in > $@
