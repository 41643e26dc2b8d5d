"""psycopg2's LogicalReplicationConnection through the DoSQL router with the
dosql_json output plugin: create a slot, run a workload on an ordinary
connection, consume the stream acknowledging each commit, stop, write more,
and consume again from the slot.  Prints one JSON object per check.

usage: cdc_json.py DSN
"""
import json
import sys

import psycopg2
import psycopg2.extras

import replstream
from replstream import report

dsn = sys.argv[1]


def consume(commits, options):
    """The messages of the next `commits` transactions, each acknowledged."""
    return replstream.consume(dsn, "py1", options, commits, json.loads, lambda m: m["action"] == "C", True)


replstream.create_slot(dsn, "py1", "dosql_json")
report("created", True)

sql = psycopg2.connect(dsn)
sql.autocommit = True
cur = sql.cursor()
cur.execute("create table ev (id int primary key, kind text, amount numeric(8,2), done bool)")
cur.execute("insert into ev (id, kind, amount, done) values (1, 'a', 1.25, false), (2, 'b', null, true)")
cur.execute("update ev set amount = 7 where id = 1")
cur.execute("delete from ev where id = 2")

msgs = consume(3, {"include-xids": "1"})
report("actions", [m["action"] for m in msgs])
report("insert_rows", sorted([{c["name"]: c["value"] for c in m["columns"]} for m in msgs if m["action"] == "I"],
                              key=lambda r: r["id"]))
update = [m for m in msgs if m["action"] == "U"][0]
report("update", {"table": update["table"], "columns": update["columns"], "identity": update["identity"]})
delete = [m for m in msgs if m["action"] == "D"][0]
report("delete_identity", delete["identity"])
report("xids_paired", all(isinstance(m.get("xid"), int) for m in msgs))

cur.execute("insert into ev (id, kind) values (3, 'c')")
msgs = consume(1, {})
report("resumed", [(m["action"], m.get("columns", [{}])[0].get("value")) for m in msgs])

# numbers keep every digit: the values' JSON text, as the plugin wrote it
cur.execute("create table big (id int primary key, n numeric(8,2), f float8, i bigint)")
cur.execute("insert into big values (1, 1.1, 0.1, 9223372036854775807),"
            " (2, 'NaN', '-Infinity', -9223372036854775808)")
msgs = replstream.consume(dsn, "py1", {}, 1, lambda p: json.loads(p, parse_float=str, parse_int=str),
                          lambda m: m["action"] == "C", True)
report("numbers", sorted([[c["value"] for c in m["columns"]] for m in msgs if m["action"] == "I"]))

repl = psycopg2.connect(dsn, connection_factory=psycopg2.extras.LogicalReplicationConnection)
repl.cursor().drop_replication_slot("py1")
report("dropped", True)
