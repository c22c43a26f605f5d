/* One fdatasync at a time on a thread of its own, so the event loop goes
 * on reading and deciding the next batch while the disk flushes the
 * current one (group commit without a stall).  Completion is signalled
 * on an eventfd the loop polls. */
#ifndef CLUSTERCTL_SYNC_WORKER_H
#define CLUSTERCTL_SYNC_WORKER_H

#include <stdbool.h>

struct sync_worker;

int sync_worker_start(struct sync_worker **out);
/* Readable (EPOLLIN) when a requested sync has finished. */
int sync_worker_fd(const struct sync_worker *w);
/* fdatasync(fd) in the background; only when not busy. */
void sync_worker_request(struct sync_worker *w, int fd);
/* Or any other slow disk work (compaction's image): fn(arg) on the
 * thread, its return value the result.  Only when not busy. */
void sync_worker_call(struct sync_worker *w, int (*fn)(void *), void *arg);
bool sync_worker_busy(const struct sync_worker *w);
/* After the fd is readable: 1 with *result (0 or -errno) when the
 * requested sync finished, 0 when nothing finished. */
int sync_worker_collect(struct sync_worker *w, int *result);
/* Waits for a sync in flight, then ends the thread. NULL is fine. */
void sync_worker_stop(struct sync_worker *w);

#endif
