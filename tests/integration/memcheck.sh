# Sourced by controller-lib.sh and e2e-lib.sh.  CLUSTERCTL_VALGRIND=DIR
# runs every clusterctl they start (master serve, node join, the agent)
# under valgrind's memcheck, one log a process in DIR, named vg.PID.log;
# tests/integration/valgrind-e2e.sh sets it and reads the logs.  Definite
# leaks count as errors; a process with errors exits 99.
if [ -n "${CLUSTERCTL_VALGRIND:-}" ]; then
	CT_WRAP="valgrind --trace-children=no --leak-check=full --show-leak-kinds=definite \
--errors-for-leak-kinds=definite --error-exitcode=99 --num-callers=30 --log-file=$CLUSTERCTL_VALGRIND/vg.%p.log"
	# Plugins stay mapped at exit, so a leak in one has its stack.
	export CLUSTERCTL_NO_DLCLOSE=1
fi
