/*
 * replication.h - replication connections to the router
 * (replication=database): the replication commands, and START_REPLICATION
 * streaming the whole cluster's changes as one ordered stream (cdc/stream.h)
 * through an output plugin.
 *
 * A router slot is the slot of the same name on every shard.  The stream
 * reads each shard's changelog from the slot's position (DOSQL_CHANGES),
 * holds what it read until every shard's watermark has passed it, and
 * emits transactions in LSN order (cdc/stream.h); a two-phase transaction's parts
 * arrive with the same commit time and gid and go out once, together.  The
 * client's flush position is confirmed on every shard's slot
 * (DOSQL_ADVANCE), which is what lets the shards trim their changelogs.
 */
#ifndef DOSQL_ROUTER_REPLICATION_H
#define DOSQL_ROUTER_REPLICATION_H

#include <stdbool.h>

#include "router/router.h"

/* A command of a replication connection: answered -> true (ReadyForQuery
 * sent, or to be sent when the shards have answered, or streaming
 * begins); SQL -> false. */
bool rt_repl_command(RtSession *s, const char *sql);
/* CopyData / CopyDone from the client while streaming. */
void rt_repl_copy_data(RtSession *s, const uint8_t *data, size_t len);
void rt_repl_copy_done(RtSession *s);
/* The session ends: its stream stops, confirming what the client flushed. */
void rt_repl_free(RtSession *s);
/* SHOW SLOTS: every slot with its confirmed position (the lowest over the
 * shards), whether a client streams it, what was sent, and the lag in
 * bytes and in changes not yet confirmed.  Asks the shards without
 * waiting and returns false: the reply follows, then
 * rt_session_local_done.  True when it failed at once (error sent). */
bool rt_repl_show_slots(RtSession *s);
/* Whether the session is streaming. */
bool rt_repl_streaming(const RtSession *s);

#endif
