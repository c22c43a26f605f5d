/* WireGuard's cross-platform UAPI replies (plugins/overlay/wireguard/
 * wg-uapi.c), as wireguard-go or boringtun answer "get=1" and "set=1"
 * on /var/run/wireguard/IF.sock.
 *
 * What must hold: a reply is read or refused (-EPROTO with a reason, or
 * the daemon's errno); a device read stays within the plugin's bounds,
 * never lists a peer twice, and needs no change to become itself (the
 * diff that keeps ensure() idempotent); and a device the plugin would
 * configure reads back the same through the daemon's syntax (what
 * format_set writes is what parse_get reads). */
#include <errno.h>
#include <string.h>

#include "cc-buf.h"
#include "fuzz-wg.h"

/* Configure the device from scratch in the daemon's syntax, read that
 * back as a "get" reply, and compare. */
static void round_trip(const struct wg_device *dev)
{
	struct wg_device empty = {0}, set, back = {0};
	struct cc_buf out = CC_BUF_INIT, reply = CC_BUF_INIT;
	const char *err = NULL;
	size_t n;
	int r;

	fuzz_require(wg_device_diff(&empty, dev, false, &set, &n) == 0, "the set is computed");
	r = wg_uapi_format_set(&set, &out);
	wg_device_free(&set);
	if (r == -EAFNOSUPPORT)
		goto out; /* IPv6 endpoints and allowed IPs are never configured */
	fuzz_require(r == 0 && out.len >= 7 && memcmp(out.buf, "set=1\n", 6) == 0 &&
			     out.buf[out.len - 1] == '\n' && out.buf[out.len - 2] == '\n',
		     "a set request is set=1, lines, a blank line");
	cc_buf_append(&reply, out.buf + 6, out.len - 7);
	cc_buf_puts(&reply, "errno=0\n");
	fuzz_require(!reply.oom, "out of memory");
	r = wg_uapi_parse_get(reply.buf, reply.len, &back, &err);
	if (r < 0)
		fuzz_fail(__FILE__, __LINE__, err ? err : "what format_set writes does not parse back");
	fuzz_require(fuzz_wg_changes(&back, dev) == 0, "a configured device reads back as configured");
out:
	wg_device_free(&back);
	cc_buf_free(&out);
	cc_buf_free(&reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_memdup(data, size);
	struct wg_device dev = {0};
	const char *err = NULL;
	int r = wg_uapi_parse_get(text, size, &dev, &err);

	if (r < 0) {
		fuzz_require(r == -EPROTO || r == -E2BIG || (r >= -4095 && err), "a refusal is an errno with a reason");
	} else {
		fuzz_wg_check(&dev);
		fuzz_require(fuzz_wg_changes(&dev, &dev) == 0, "a device needs no change to become itself");
		round_trip(&dev);
	}
	wg_device_free(&dev);

	err = NULL;
	r = wg_uapi_parse_errno(text, size, &err);
	fuzz_require(r <= 0 && r >= -4095 && (!err || r == -EPROTO), "a set reply is 0, an errno, or unreadable");
	free(text);
	return 0;
}
