/* HTTP/1.1 over a unix socket (libcurl): the Docker Engine API, the
 * Tailscale LocalAPI. */
#ifndef CLUSTERCTL_HTTP_UNIX_H
#define CLUSTERCTL_HTTP_UNIX_H

#include <clusterctl/host.h>

/* Bodies larger than this are refused (-EFBIG): a daemon's reply is
 * validated like any other input. */
#define HTTP_UNIX_MAX_BODY (32u << 20)

int http_unix_request(const char *socket_path, const char *method, const char *url,
		      const char *const headers[], const char *body, size_t body_len, int timeout_ms,
		      struct clusterctl_http_response *resp);
void http_unix_response_free(struct clusterctl_http_response *resp);
/* Call once from main before any thread starts. */
int http_unix_global_init(void);
void http_unix_global_cleanup(void);

#endif
