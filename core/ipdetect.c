#include "autoconfig.h"

#include "app.h"
#include "log.h"

/* Placeholder until this module lands: fails honestly. */
int cmd_ip(struct app *a)
{
	log_error("'ip' is not implemented yet");
	return EXIT_FAILURE_;
}
