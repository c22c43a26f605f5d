# Man pages.
dist_man_MANS += doc/clusterctl.1 doc/clusterctl.conf.5 doc/clusterctl-plugin.7
dist_doc_DATA += doc/controller-protocol.md
dist_man_MANS += doc/clusterctl-gluster.7
