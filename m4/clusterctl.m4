dnl CLUSTERCTL_REQUIRE_PKG(VAR, MODULE, DEBIAN-PACKAGE)
dnl A core library: missing means configure stops, naming the -dev package.
AC_DEFUN([CLUSTERCTL_REQUIRE_PKG], [
	PKG_CHECK_MODULES([$1], [$2], [],
		[AC_MSG_ERROR([$2 was not found by pkg-config. On Debian/Ubuntu: apt-get install $3])])
])

dnl CLUSTERCTL_PLUGINS_INIT: --with-plugins=LIST (comma-separated KIND-NAME
dnl entries, or "all" / "none") sets the baseline for every plugin switch.
AC_DEFUN([CLUSTERCTL_PLUGINS_INIT], [
	AC_ARG_WITH([plugins],
		[AS_HELP_STRING([--with-plugins=LIST],
			[build only these plugins, e.g. overlay-none,storage-gluster (default: all whose dependencies are met)])],
		[], [with_plugins=auto])
	clusterctl_plugin_summary=
	clusterctl_plugin_missing=
])

dnl CLUSTERCTL_PLUGIN(KIND, NAME, DEPS-OK, DEBIAN-PACKAGE, HELP)
dnl gives --enable-KIND-NAME=yes|no|auto (auto: build when DEPS-OK is yes)
dnl and AM_CONDITIONAL BUILD_KIND_NAME.  Asking for yes with a missing
dnl dependency is an error after the summary.
AC_DEFUN([CLUSTERCTL_PLUGIN], [
	AC_ARG_ENABLE([$1-$2],
		[AS_HELP_STRING([--enable-$1-$2=yes|no|auto], [$5 (default: auto)])],
		[enable_plugin_$1_$2=$enableval], [enable_plugin_$1_$2=default])
	AS_IF([test "x$enable_plugin_$1_$2" = xdefault], [
		AS_CASE([",$with_plugins,"],
			[*,auto,*|*,all,*|*,yes,*], [enable_plugin_$1_$2=auto],
			[*,$1-$2,*], [enable_plugin_$1_$2=yes],
			[enable_plugin_$1_$2=no])
	])
	build_plugin_$1_$2=no
	AS_CASE([$enable_plugin_$1_$2],
		[yes], [AS_IF([test "x$3" = xyes], [build_plugin_$1_$2=yes],
			[clusterctl_plugin_missing="$clusterctl_plugin_missing $1-$2 (apt-get install $4)"])],
		[auto], [AS_IF([test "x$3" = xyes], [build_plugin_$1_$2=yes])])
	AM_CONDITIONAL([BUILD_]m4_toupper([$1_$2]), [test "x$build_plugin_$1_$2" = xyes])
	clusterctl_plugin_summary="$clusterctl_plugin_summary    $1-$2 ...... $build_plugin_$1_$2
"
])

AC_DEFUN([CLUSTERCTL_PLUGINS_DONE], [
	AS_IF([test -n "$clusterctl_plugin_missing"],
		[AC_MSG_ERROR([plugins requested but their dependencies are missing:$clusterctl_plugin_missing])])
])
