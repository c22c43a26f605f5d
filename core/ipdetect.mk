core_ipdetect_sources += core/ipdetect.c core/ipdetect.h core/netlink.c core/netlink.h
