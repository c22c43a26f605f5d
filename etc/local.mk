# The commented sample configuration, installed as documentation of every
# key and as a starting point for /etc/clusterctl/clusterctl.conf, and the
# agent's and the controller's systemd units (their paths follow --prefix).
clusterctlconfdir = $(sysconfdir)/clusterctl
dist_clusterctlconf_DATA = etc/clusterctl.conf.sample
systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = etc/clusterctl-agent.service etc/clusterctl-master.service
CLEANFILES += $(systemdunit_DATA)
EXTRA_DIST += etc/clusterctl-agent.service.in etc/clusterctl-master.service.in
etc/%.service: etc/%.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && sed -e 's|@bindir[@]|$(bindir)|g' $< > $@
