"""pgoutput through the DoSQL router, read raw with psycopg2 (decode=False):
protocol versions 1 and 2, messages decoded by hand and checked against
the protocol (Begin.final_lsn == Commit.commit_lsn < Commit.end_lsn, a
Relation before a table's first change, tuples in text), and the option
errors PostgreSQL gives before streaming.  Prints one JSON object per check.

usage: cdc_pgoutput.py DSN
"""
import json
import struct
import sys

import psycopg2

import replstream
from replstream import report

dsn = sys.argv[1]


def cstr(b, pos):
    end = b.index(b"\0", pos)
    return b[pos:end].decode(), end + 1


def tuple_data(b, pos):
    n, = struct.unpack_from(">h", b, pos)
    pos += 2
    vals = []
    for _ in range(n):
        kind = b[pos:pos + 1].decode()
        pos += 1
        if kind == "t":
            ln, = struct.unpack_from(">i", b, pos)
            vals.append(b[pos + 4:pos + 4 + ln].decode())
            pos += 4 + ln
        else:
            vals.append(None if kind == "n" else "?" + kind)
    return vals, pos


def decode(b):
    kind = b[0:1].decode()
    if kind == "B":
        lsn, ts, xid = struct.unpack_from(">qqi", b, 1)
        return {"type": "B", "final_lsn": lsn, "xid": xid}
    if kind == "C":
        flags, commit, end, ts = struct.unpack_from(">bqqq", b, 1)
        return {"type": "C", "flags": flags, "commit_lsn": commit, "end_lsn": end}
    if kind == "R":
        relid, = struct.unpack_from(">I", b, 1)
        nsp, pos = cstr(b, 5)
        rel, pos = cstr(b, pos)
        ident = b[pos:pos + 1].decode()
        natts, = struct.unpack_from(">h", b, pos + 1)
        pos += 3
        cols = []
        for _ in range(natts):
            flags = b[pos]
            name, pos = cstr(b, pos + 1)
            typ, typmod = struct.unpack_from(">Ii", b, pos)
            pos += 8
            cols.append([name, flags, typ])
        return {"type": "R", "relid": relid, "ns": nsp, "rel": rel, "ident": ident, "cols": cols}
    if kind in "IUD":
        relid, = struct.unpack_from(">I", b, 1)
        pos = 5
        out = {"type": kind, "relid": relid}
        while pos < len(b):
            part = b[pos:pos + 1].decode()
            vals, pos = tuple_data(b, pos + 1)
            out[part] = vals
        return out
    if kind == "T":
        nrels, flags = struct.unpack_from(">ib", b, 1)
        return {"type": "T", "nrels": nrels, "flags": flags}
    return {"type": kind}


def stream(slot, options, commits):
    return replstream.consume(dsn, slot, options, commits, decode, lambda m: m["type"] == "C", False)


def start_error(options):
    conn = replstream.replication_connection(dsn)
    try:
        conn.cursor().start_replication(slot_name="po", decode=False, options=options)
        return None
    except psycopg2.Error as e:
        return [e.pgcode, e.pgerror.splitlines()[0]]
    finally:
        conn.close()


sql = psycopg2.connect(dsn)
sql.autocommit = True
cur = sql.cursor()
cur.execute("create table po (id int primary key, label text)")
cur.execute("create table other (id int primary key)")
cur.execute("create publication pub for table po")
replstream.create_slot(dsn, "po", "pgoutput")

cur.execute("insert into po (id, label) values (1, 'one'), (2, null), (3, 'three')")
cur.execute("insert into other (id) values (1)")
cur.execute("update po set id = 10 where id = 3")
cur.execute("delete from po where id = 2")

for version in ("1", "2"):
    msgs = stream("po", {"proto_version": version, "publication_names": "pub"}, 1 if version == "1" else 2)
    report("v" + version + "_types", [m["type"] for m in msgs])
    begins = [m for m in msgs if m["type"] == "B"]
    commits = [m for m in msgs if m["type"] == "C"]
    report("v" + version + "_lsns", all(b["final_lsn"] == c["commit_lsn"] and c["end_lsn"] > c["commit_lsn"]
                                        and c["flags"] == 0 for b, c in zip(begins, commits)))
    report("v" + version + "_rising", all(commits[i]["end_lsn"] <= commits[i + 1]["commit_lsn"]
                                          for i in range(len(commits) - 1)))
    if version == "1":
        rel = [m for m in msgs if m["type"] == "R"][0]
        report("relation", {k: rel[k] for k in ("ns", "rel", "ident", "cols")})
        report("inserts", sorted([m["N"] for m in msgs if m["type"] == "I"], key=lambda v: int(v[0])))
        report("relid_matches", all(m["relid"] == rel["relid"] for m in msgs if m["type"] in "IUD"))
    else:
        changes = [m for m in msgs if m["type"] in "IUD"]
        report("v2_changes", sorted([[m["type"], m.get("K"), m.get("N")] for m in changes], key=json.dumps))

report("missing_publication_names", start_error({"proto_version": "1"}))
report("proto_too_high", start_error({"proto_version": "4", "publication_names": "pub"}))
report("unknown_option", start_error({"proto_version": "1", "publication_names": "pub", "bogus": "1"}))
