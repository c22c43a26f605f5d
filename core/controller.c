#include "autoconfig.h"

#include "app.h"
#include "log.h"

/* Placeholder until this module lands: fails honestly. */
int cmd_master_serve(struct app *a)
{
	log_error("'master serve' is not implemented yet");
	return EXIT_FAILURE_;
}
