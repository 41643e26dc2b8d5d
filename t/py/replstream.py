"""What the replication test scripts share: reading a slot through
psycopg2's LogicalReplicationConnection until a number of transactions
have arrived, acknowledging each commit, and printing checks as JSON."""
import json

import psycopg2
import psycopg2.extras


def report(name, value):
    print(json.dumps({"check": name, "value": value}), flush=True)


def replication_connection(dsn):
    return psycopg2.connect(dsn, connection_factory=psycopg2.extras.LogicalReplicationConnection)


def create_slot(dsn, slot, plugin):
    conn = replication_connection(dsn)
    conn.cursor().create_replication_slot(slot, output_plugin=plugin)
    conn.close()


def consume(dsn, slot, options, commits, parse, is_commit, decode):
    """The parsed messages of the next `commits` transactions of `slot`;
    each commit is acknowledged (flush = its position) when it arrives."""
    conn = replication_connection(dsn)
    cur = conn.cursor()
    cur.start_replication(slot_name=slot, decode=decode, options=options)
    got = []
    seen = [0]

    def on_message(msg):
        got.append(parse(msg.payload))
        if is_commit(got[-1]):
            seen[0] += 1
            msg.cursor.send_feedback(flush_lsn=msg.data_start, force=True)
            if seen[0] >= commits:
                raise psycopg2.extras.StopReplication()

    try:
        cur.consume_stream(on_message)
    except psycopg2.extras.StopReplication:
        pass
    conn.close()
    return got
