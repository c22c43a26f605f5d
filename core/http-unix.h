/* HTTP/1.1 over a unix socket (libcurl): the Docker Engine API, the
 * Tailscale LocalAPI. */
#ifndef CLUSTERCTL_HTTP_UNIX_H
#define CLUSTERCTL_HTTP_UNIX_H

#include <stdatomic.h>

#include <clusterctl/host.h>

/* Bodies larger than this are refused (-EFBIG): a daemon's reply is
 * validated like any other input. */
#define HTTP_UNIX_MAX_BODY (32u << 20)

int http_unix_request(const char *socket_path, const char *method, const char *url,
		      const char *const headers[], const char *body, size_t body_len, int timeout_ms,
		      struct clusterctl_http_response *resp);
void http_unix_response_free(struct clusterctl_http_response *resp);

/* Optional response-header capture for http_unix_request_hdr(): set
 * `name` (matched case-insensitively); after the call `value` holds the
 * trimmed value of the last such header of the final response (malloc'd,
 * free it yourself) or NULL when absent.  Values longer than
 * HTTP_UNIX_MAX_HEADER are dropped, not truncated. */
#define HTTP_UNIX_MAX_HEADER 1024u
struct http_unix_header {
	const char *name;
	char *value;
};
/* http_unix_request() plus header capture; caps may be NULL when ncaps is 0. */
int http_unix_request_hdr(const char *socket_path, const char *method, const char *url,
			  const char *const headers[], const char *body, size_t body_len, int timeout_ms,
			  struct clusterctl_http_response *resp, struct http_unix_header *caps, size_t ncaps);
/* Requests made on the calling thread give up with -ECANCELED soon
 * (libcurl looks at least once a second) after *flag becomes non-zero:
 * how a worker thread waiting on a daemon that does not answer is
 * stopped.  NULL (the default): requests run to their timeout. */
void http_unix_set_cancel(const atomic_int *flag);
/* Call once from main before any thread starts. */
int http_unix_global_init(void);
void http_unix_global_cleanup(void);

#endif
