#include "autoconfig.h"

#include "app.h"
#include "log.h"

/* Placeholder until this module lands: fails honestly. */
int cmd_master_init(struct app *a)
{
	log_error("'master init' is not implemented yet");
	return EXIT_FAILURE_;
}
