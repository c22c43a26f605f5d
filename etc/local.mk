# The commented sample configuration, installed as documentation of every
# key and as a starting point for /etc/clusterctl/clusterctl.conf; the
# agent's and the controller's systemd units, where systemd looks for them
# (configure: --with-systemdsystemunitdir); the bash completion, where
# bash-completion looks (--with-bash-completion-dir).
clusterctlconfdir = $(sysconfdir)/clusterctl
dist_clusterctlconf_DATA = etc/clusterctl.conf.sample
if HAVE_SYSTEMDUNITDIR
systemdsystemunit_DATA = etc/clusterctl-agent.service etc/clusterctl-master.service
endif
CLEANFILES += etc/clusterctl-agent.service etc/clusterctl-master.service
EXTRA_DIST += etc/clusterctl-agent.service.in etc/clusterctl-master.service.in
etc/%.service: etc/%.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' $< > $@
if HAVE_BASHCOMPLETIONDIR
dist_bashcompletion_DATA = etc/completion/clusterctl
else
EXTRA_DIST += etc/completion/clusterctl
endif
# distcheck installs under its own prefix as a normal user would: the
# directories systemd's and bash-completion's .pc files name are outside it.
AM_DISTCHECK_CONFIGURE_FLAGS = \
	--with-systemdsystemunitdir='$${dc_install_base}/lib/systemd/system' \
	--with-bash-completion-dir='$${dc_install_base}/share/bash-completion/completions'
