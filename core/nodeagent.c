#include "autoconfig.h"

#include "app.h"
#include "log.h"

/* Placeholder until this module lands: fails honestly. */
int cmd_node_join(struct app *a)
{
	log_error("'node join' is not implemented yet");
	return EXIT_FAILURE_;
}

int cmd_agent(struct app *a)
{
	log_error("'agent' is not implemented yet");
	return EXIT_FAILURE_;
}
