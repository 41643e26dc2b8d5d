# psycopg 3 (Debian's python3-psycopg) against a PostgreSQL-protocol server.
#
# Usage: psycopg3_clients.py DSN
#
# Runs named checks and prints one JSON object per line:
#   {"name": "<check>", "value": <JSON value>}
# or, when the check raised, {"name": "<check>", "error": "<SQLSTATE or class>"}.
# t/113_psycopg3.pl runs it against PostgreSQL 15 and against the router
# and compares the two, check by check.

import datetime
import decimal
import json
import sys
import uuid

import psycopg
from psycopg.types.json import Jsonb

DSN = sys.argv[1]


def plain(v):
    """A value as JSON can carry it, with its Python type kept in the text."""
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(v[k]) for k in sorted(v)}
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "bytes:" + bytes(v).hex()
    if isinstance(v, (decimal.Decimal, datetime.date, datetime.datetime, datetime.time, uuid.UUID)):
        return "%s:%s" % (type(v).__name__, v)
    if isinstance(v, float):
        return "float:%r" % v
    return v


def check(name, fn):
    try:
        out = {"name": name, "value": plain(fn())}
    except psycopg.Error as e:
        out = {"name": name, "error": e.sqlstate or type(e).__name__}
    sys.stdout.write(json.dumps(out, sort_keys=True) + "\n")
    sys.stdout.flush()


conn = psycopg.connect(DSN, autocommit=True)
conn.execute("drop table if exists py3_items")
conn.execute("""create table py3_items (id int primary key, name text, amount numeric(12,2), at timestamptz,
    u uuid, b bytea, j jsonb, f float8, ok bool, day date, tags text[])""")

ROW = ("a", decimal.Decimal("1.50"), datetime.datetime(2024, 1, 1, 8, 30, tzinfo=datetime.timezone.utc),
       uuid.UUID(int=1), b"\x00\x01\xff", Jsonb({"a": [1, 2]}), 1.5, True, datetime.date(2024, 2, 29), ["x", "y z"])
COLS = "id, name, amount, at, u, b, j, f, ok, day, tags"

check("text parameters", lambda: conn.execute(
    "insert into py3_items (%s) values (%%s, %%s, %%s, %%s, %%s, %%s, %%s, %%s, %%s, %%s, %%s)" % COLS,
    (1,) + ROW).rowcount)
check("binary parameters", lambda: conn.execute(
    "insert into py3_items (%s) values (%%b, %%b, %%b, %%b, %%b, %%b, %%b, %%b, %%b, %%b, %%b)" % COLS,
    (2,) + ROW).rowcount)
check("executemany", lambda: conn.cursor().executemany(
    "insert into py3_items (id, name, amount) values (%s, %s, %s)",
    [(i, "n%d" % i, decimal.Decimal(i) / 4) for i in range(3, 41)]))
check("text results, every type", lambda: conn.execute("select * from py3_items where id = %s", (1,)).fetchall())
check("binary results, every type", lambda: conn.cursor(binary=True).execute(
    "select * from py3_items where id = %s", (2,)).fetchall())
check("binary results, scatter ORDER BY LIMIT", lambda: conn.cursor(binary=True).execute(
    "select id, name, amount from py3_items order by amount desc, id limit 4").fetchall())
check("binary results, aggregates", lambda: conn.cursor(binary=True).execute(
    "select count(*), sum(amount), avg(id), max(name) from py3_items").fetchall())
check("binary results, GROUP BY", lambda: conn.cursor(binary=True).execute(
    "select id % 3 as k, count(*) from py3_items group by 1 order by 1").fetchall())


def prepared():
    # psycopg prepares a statement on the server from its 5th execution
    return [conn.execute("select name, amount from py3_items where id = %s", (i,)).fetchone() for i in range(1, 11)]


check("prepared after five executions", prepared)


def pipeline():
    with conn.pipeline():
        c1 = conn.execute("select name from py3_items where id = %s", (3,))
        c2 = conn.execute("update py3_items set name = 'piped' where id = %s", (4,))
        c3 = conn.execute("update py3_items set name = 'piped' where id > %s", (38,))
        c4 = conn.execute("select count(*) from py3_items where name = 'piped'")
    return [c1.fetchall(), c2.rowcount, c3.rowcount, c4.fetchall()]


check("pipeline", pipeline)


def pipeline_error():
    try:
        with conn.pipeline():
            conn.execute("insert into py3_items (id, name) values (%s, 'p')", (100,))
            conn.execute("select 1/0")
            conn.execute("insert into py3_items (id, name) values (%s, 'p')", (101,))
    except psycopg.Error as e:
        return [e.sqlstate, conn.execute("select count(*) from py3_items where id >= 100").fetchone()]


check("pipeline stops at an error", pipeline_error)


def copy_text():
    with conn.cursor().copy("COPY py3_items (id, name, amount) FROM STDIN") as cp:
        for i in range(200, 230):
            cp.write_row((i, "c%d" % i, decimal.Decimal(i) / 8))
    return conn.execute("select count(*), sum(amount) from py3_items where id >= 200 and id < 300").fetchone()


check("COPY FROM STDIN, text", copy_text)


def copy_binary():
    with conn.cursor().copy("COPY py3_items (id, name, amount, tags) FROM STDIN (FORMAT BINARY)") as cp:
        cp.set_types(["int4", "text", "numeric", "text[]"])
        for i in range(300, 340):
            cp.write_row((i, "b%d" % i if i % 5 else None, decimal.Decimal(i) / 8, ["t", str(i)]))
    return conn.execute("select count(*), count(name), sum(amount), max(tags[2]) from py3_items where id >= 300").fetchone()


check("COPY FROM STDIN, binary", copy_binary)


def copy_binary_bad():
    with conn.cursor().copy("COPY py3_items (id, name) FROM STDIN (FORMAT BINARY)") as cp:
        cp.write(b"not a binary copy header at all")
    return "no error"


check("COPY FROM STDIN, binary with a bad signature", copy_binary_bad)


def copy_binary_in_txn_rollback():
    try:
        with conn.transaction():
            with conn.cursor().copy("COPY py3_items (id, name) FROM STDIN (FORMAT BINARY)") as cp:
                cp.set_types(["int4", "text"])
                for i in range(400, 420):
                    cp.write_row((i, "r"))
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    return conn.execute("select count(*) from py3_items where id >= 400").fetchone()


check("COPY FROM STDIN, binary, rolled back", copy_binary_in_txn_rollback)


def copy_out():
    with conn.cursor().copy("COPY (select id, name from py3_items where id < 6) TO STDOUT") as cp:
        return sorted(bytes(r).decode() for r in cp)


check("COPY TO STDOUT", copy_out)


def copy_out_binary():
    with conn.cursor().copy("COPY py3_items (id, amount) TO STDOUT (FORMAT BINARY)") as cp:
        cp.set_types(["int4", "numeric"])
        return sorted(cp.rows())


check("COPY TO STDOUT, binary", copy_out_binary)


def transaction_rollback():
    try:
        with conn.transaction():
            conn.execute("update py3_items set name = 'x' where id = 1")
            conn.execute("update py3_items set name = 'x' where id = 2")
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    return conn.execute("select name from py3_items where id in (1, 2) order by id").fetchall()


check("transaction rolled back", transaction_rollback)


def transaction_commit():
    with conn.transaction():
        conn.execute("update py3_items set amount = amount + 10 where id = any(%s)", ([5, 6, 7, 8],))
    return conn.execute("select sum(amount) from py3_items where id between 5 and 8").fetchone()


check("transaction over several shards", transaction_commit)
def named_cursor():
    with conn.transaction():
        cur = conn.cursor(name="nc")
        cur.execute("select id, name from py3_items where id < %s order by id", (12,))
        out = [cur.fetchmany(3), cur.fetchone(), cur.fetchall(), cur.fetchall()]
        cur.close()
    return out


check("server-side cursor over every shard", named_cursor)


def scroll_cursor():
    with conn.transaction():
        cur = conn.cursor(name="sc", scrollable=True)
        cur.execute("select id, amount from py3_items where id <= 20 order by amount desc, id")
        out = []
        cur.scroll(5, mode="absolute")
        out.append(cur.fetchone())
        cur.scroll(-3)
        out.append(cur.fetchmany(2))
        cur.scroll(0, mode="absolute")
        out.append(cur.fetchone())
        cur.close()
    return out


check("scrollable server-side cursor", scroll_cursor)


def cursor_aggregate_with_hold():
    cur = conn.cursor(name="wh", withhold=True)
    cur.execute("select count(*), sum(amount), max(name) from py3_items")
    out = cur.fetchall()
    cur.close()
    return out


check("WITH HOLD cursor over an aggregate", cursor_aggregate_with_hold)


def raw_cursor_sql():
    out = []
    with conn.transaction():
        conn.execute("declare rc no scroll cursor for select id from py3_items where id between 1 and 9 order by id")
        out.append(conn.execute("fetch 2 from rc").fetchall())
        out.append(conn.execute("move forward 3 in rc").rowcount)
        out.append(conn.execute("fetch all from rc").fetchall())
        try:
            conn.execute("fetch backward 1 from rc")
        except psycopg.Error as e:
            out.append(e.sqlstate)
    with conn.transaction():
        try:
            conn.execute("fetch 1 from rc")
        except psycopg.Error as e:
            out.append(e.sqlstate)
    try:
        conn.execute("declare outside cursor for select 1")
    except psycopg.Error as e:
        out.append(e.sqlstate)
    return out


check("DECLARE, FETCH, MOVE and their errors", raw_cursor_sql)
check("unique violation", lambda: conn.execute("insert into py3_items (id) values (1)"))
check("undefined table", lambda: conn.execute("select * from nosuch"))
check("division by zero", lambda: conn.execute("select 1/0"))
check("final count", lambda: conn.execute("select count(*), sum(amount) from py3_items").fetchone())
conn.close()
