/* The local half of `clusterctl status`: each configured provider's own
 * status() (clusterctl-plugin(7), OPERATIONS), checked like any plugin
 * output before it is shown. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc-time.h"
#include "host-services.h"
#include "log.h"
#include "plan-check.h"
#include "provider-status.h"

static json_object *one_status(struct plugin *p)
{
	json_object *e = json_object_new_object(), *st;
	char *text = NULL;
	int64_t ms = cc_mono_ms();
	int r;

	if (!e)
		return NULL;
	json_object_object_add(e, "Provider", json_object_new_string(p->desc.name));
	host_ctx_clear_error(p->hctx);
	r = p->desc.status(p->state, &text);
	ms = cc_mono_ms() - ms;
	if (ms > PROVIDER_STATUS_BUDGET_MS)
		log_warn("%s: status took %lld ms (a status answer should take at most %d ms: answer from "
			 "what the plugin knows, start nothing slow)",
			 host_ctx_label(p->hctx), (long long)ms, PROVIDER_STATUS_BUDGET_MS);
	if (r < 0) {
		log_warn("%s (status)", plugin_failure(p, r));
		json_object_object_add(e, "Error", json_object_new_string(plugin_failure(p, r)));
	} else if (!text || !json_text_valid(text, PROVIDER_STATUS_MAX, true) || !(st = json_tokener_parse(text))) {
		log_warn("%s: status returned text that is not a JSON object of at most %d bytes; not shown",
			 host_ctx_label(p->hctx), PROVIDER_STATUS_MAX);
		json_object_object_add(e, "Error", json_object_new_string("the plugin's status is not a JSON object"));
	} else {
		json_object_object_add(e, "Status", st);
	}
	free(text);
	return e;
}

int provider_status_collect(struct app *a, json_object **out)
{
	char *err = NULL;
	bool ov, sto;
	int r;

	*out = NULL;
	if ((r = app_load_providers(a)) < 0) {
		log_warn("local provider status not shown: the configured providers cannot be loaded (see above)");
		return 0;
	}
	/* Their keys were only checked as "some installed plugin's" until
	 * they were loaded: check them now as a run does. */
	if ((r = plugin_check_config(&a->reg, &a->cfg, &err)) < 0) {
		fprintf(stderr, "clusterctl: %s\n", err ? err : "out of memory");
		free(err);
		return r;
	}
	ov = a->overlay_loaded->desc.status != NULL;
	sto = a->storage_loaded->desc.status != NULL;
	if (!ov && !sto)
		return 0;
	if (app_providers(a, ov, sto) < 0) {
		log_warn("local provider status not shown: a provider did not start (see above)");
		return 0;
	}
	if (!(*out = json_object_new_object()))
		return -ENOMEM;
	if (ov)
		json_object_object_add(*out, "Overlay", one_status(a->overlay));
	if (sto)
		json_object_object_add(*out, "Storage", one_status(a->storage));
	return 0;
}

/* Text from a plugin printed on a terminal: printable ASCII only. */
static void put_clean(const char *s)
{
	for (size_t n = 0; *s && n < 4096; s++, n++)
		putchar((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ? *s : '?');
}

void provider_status_print(json_object *local)
{
	static const char *const kinds[] = {"Overlay", "Storage"};
	bool header = false;

	for (size_t i = 0; local && i < 2; i++) {
		json_object *e, *name, *v;
		if (!json_object_object_get_ex(local, kinds[i], &e) || !e)
			continue;
		if (!header) {
			printf("\nLocal providers (this host):\n");
			header = true;
		}
		json_object_object_get_ex(e, "Provider", &name);
		printf("  %s ", kinds[i]);
		put_clean(json_object_get_string(name));
		printf(": ");
		if (json_object_object_get_ex(e, "Status", &v))
			put_clean(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		else if (json_object_object_get_ex(e, "Error", &v))
			put_clean(json_object_get_string(v));
		putchar('\n');
	}
}
