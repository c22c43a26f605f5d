#include "autoconfig.h"

#include "app.h"
#include "log.h"

/* Placeholder until this module lands: fails honestly. */
int cmd_status(struct app *a)
{
	log_error("'status' is not implemented yet");
	return EXIT_FAILURE_;
}
