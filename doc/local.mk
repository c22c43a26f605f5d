# Man pages.  clusterctl(8) names this build's paths, so it is made from
# clusterctl.8.in like the units; the others are as written.
dist_man_MANS += doc/clusterctl.conf.5 doc/clusterctl-plugin.7
dist_doc_DATA += doc/controller-protocol.md
dist_man_MANS += doc/clusterctl-gluster.7
# The harness installed with the plugin SDK (core/plugin-test.c).
dist_man_MANS += doc/clusterctl-plugin-test.1
man8_MANS = doc/clusterctl.8
EXTRA_DIST += doc/clusterctl.8.in
CLEANFILES += doc/clusterctl.8
# In roff a '-' in a path is a minus sign, written \- (else it prints as a
# hyphen and a pasted path breaks).
man_path = $(subst -,\\-,$(1))
doc/clusterctl.8: doc/clusterctl.8.in Makefile
	$(AM_V_GEN)$(MKDIR_P) doc && sed \
		-e 's|@VERSION[@]|$(VERSION)|g' \
		-e 's|@sbindir[@]|$(call man_path,$(sbindir))|g' \
		-e 's|@bindir[@]|$(call man_path,$(bindir))|g' \
		-e 's|@sysconfdir[@]|$(call man_path,$(sysconfdir))|g' \
		-e 's|@plugindir[@]|$(call man_path,$(plugindir))|g' \
		-e 's|@systemdsystemunitdir[@]|$(call man_path,$(or $(systemdsystemunitdir),<systemd unit dir>))|g' \
		-e 's|@bashcompletiondir[@]|$(call man_path,$(or $(bashcompletiondir),<bash completion dir>))|g' \
		$(srcdir)/doc/clusterctl.8.in > $@
