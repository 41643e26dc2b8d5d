/*
 * maintain.h - compaction and snapshot expiry (lake/compact.h) on a thread
 * of their own, so the change stream keeps flowing while they run.
 *
 * One run at a time: POST /compact, POST /expire and the schedule
 * (every compactionIntervalMs) queue a run; the thread opens each table
 * from the warehouse and commits through the same optimistic commit as the
 * flushes (a new metadata version made only if absent): when a flush
 * commits first, the run's snapshot is made again after it, and the flush
 * that loses to the run does the same (lake/iceberg.h).  The thread writes
 * as owner "<slot>-maintenance" (lake/store.h): its commit journal and S3
 * locks are its own.  The loop answers the request when the run ends.
 */
#ifndef DOSQL_LAKE_MAINTAIN_H
#define DOSQL_LAKE_MAINTAIN_H

#include <event2/event.h>
#include <event2/http.h>
#include <stdbool.h>

#include "lake/config.h"

/* Undoes what a run stopped by a crash left (its journals), then makes
 * the loop's side of the thread; false with the reason in err. */
bool lake_maint_start(struct event_base *base, const LakeConfig *cfg, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Queues a run (compact, then expire, as asked); req, when given, gets
 * the run's result as JSON (lake_compact_json), 500 with "error" when a
 * table could not be done, 503 when too many runs wait. */
void lake_maint_request(bool compact, bool expire, struct evhttp_request *req);
/* On the sink's timer: queues a compaction and expiry every
 * compactionIntervalMs, unless a run is under way or waiting. */
void lake_maint_tick(void);
/* True while a run is under way. */
bool lake_maint_running(void);
/* Waits for the run under way; the runs waiting are dropped. */
void lake_maint_stop(void);

#endif
