# core, platform: what any command stands on.  The command line and the
# typed configuration (file < env < flags), logging, running programs by
# argv with a deadline, HTTP over unix sockets, rtnetlink, and primary
# IPv4 detection on top of it.
core_platform_sources += core/app.c core/app.h core/cli.c core/cli.h core/config.c core/config.h \
	core/log.c core/log.h core/util.c core/util.h
# The command line as data (help --json) and the shell completion's answers.
core_platform_sources += core/cli-reference.c core/completion.c
# systemd's service notification (READY, STOPPING, WATCHDOG).
core_platform_sources += core/sd-notify.c core/sd-notify.h
core_platform_sources += core/subprocess.c core/subprocess.h core/http-unix.c core/http-unix.h
core_platform_sources += core/ipdetect.c core/ipdetect.h core/netlink.c core/netlink.h
# TLS on the controller port (both ends), and reading key and secret
# files safely.
core_platform_sources += core/tls.c core/tls.h core/secure-file.c core/secure-file.h
# Secrets out of cores, /proc and children's environments.
core_platform_sources += core/harden.c core/harden.h
