/* The kernel's generic-netlink "wireguard" replies (plugins/overlay/
 * wireguard/wg-genl.c): the family lookup and the GET_DEVICE dump, read
 * as nl_talk() reads them, datagram by datagram through wg_genl_cb_run().
 *
 * Input: datagrams, each a little-endian u16 length and its bytes.
 *
 * What must hold: a dump is read or refused, never read past a message
 * or an attribute; a device read stays within the plugin's bounds with
 * no peer twice and needs no change to become itself; and a device the
 * plugin would configure, built into SET_DEVICE messages as
 * wg_genl_set() builds them, reads back the same. */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "fuzz-wg.h"

/* wg-genl.c's SEND_BUF: the largest message it builds. */
#define SET_MSG_MAX 8192

static int device_cb(const struct nlmsghdr *nlh, void *data)
{
	return wg_genl_parse_device(nlh, data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return wg_genl_parse_family(nlh, data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static void round_trip(const struct wg_device *dev)
{
	struct wg_device empty = {0}, set, back = {0};
	size_t n, n_msgs, used, off = 0, cap = 64 * 1024;
	char *buf;

	if (fuzz_wg_has_v6(dev))
		return;
	fuzz_require(wg_device_diff(&empty, dev, false, &set, &n) == 0, "the set is computed");
	strcpy(set.ifname, "wg0");
	for (size_t i = 0; i < set.n_peers; i++)
		cap += 512 + set.peers[i].n_allowed * 32;
	buf = calloc(1, cap);
	fuzz_require(buf != NULL, "out of memory");
	fuzz_require(wg_genl_build_set(buf, cap, SET_MSG_MAX, 0x20, 1, &set, &n_msgs, &used) == 0,
		     "any device the plugin reads can be configured");
	for (size_t m = 0; m < n_msgs; m++) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(buf + off);
		fuzz_require(nlh->nlmsg_len <= SET_MSG_MAX && off + nlh->nlmsg_len <= used,
			     "a SET_DEVICE message fits its bounds");
		fuzz_require(wg_genl_parse_device(nlh, &back) == 0, "a SET_DEVICE message parses");
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	fuzz_require(fuzz_wg_changes(&back, dev) == 0, "a configured device reads back as configured");
	wg_device_free(&back);
	wg_device_free(&set);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor in = {data, size};
	struct wg_device dev = {0};
	const uint8_t *piece;
	size_t len;
	int r = MNL_CB_OK;
	uint16_t family = 0;

	/* Until the dump ends (DONE or an error), as nl_talk() reads it. */
	while (r == MNL_CB_OK && fuzz_next_piece(&in, &piece, &len)) {
		/* An exact-size, aligned copy, as recvfrom() leaves it. */
		char *buf = fuzz_memdup(piece, len);
		wg_genl_cb_run(buf, len, 0, 0, family_cb, &family);
		r = wg_genl_cb_run(buf, len, 0, 0, device_cb, &dev);
		free(buf);
	}
	if (r != MNL_CB_ERROR) {
		fuzz_wg_check(&dev);
		fuzz_require(fuzz_wg_changes(&dev, &dev) == 0, "a device needs no change to become itself");
		round_trip(&dev);
	}
	wg_device_free(&dev);
	return 0;
}
