#!/usr/bin/env python3
"""Write the seed corpora of the libFuzzer targets into fuzz/corpus/.

Run from the repository root: python3 fuzz/make_seeds.py.  Seeds are small,
valid protocol exchanges; the file name of a seed is its description.
"""
import base64
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def startup(params, version=196608):
    body = struct.pack("!i", version)
    for k, v in params:
        body += k.encode() + b"\0" + v.encode() + b"\0"
    body += b"\0"
    return struct.pack("!i", len(body) + 4) + body


def request(code, *words):
    body = struct.pack("!i", code) + b"".join(struct.pack("!i", w) for w in words)
    return struct.pack("!i", len(body) + 4) + body


def msg(t, body=b""):
    return t.encode() + struct.pack("!i", len(body) + 4) + body


def cstr(s):
    return s.encode() + b"\0"


def query(sql):
    return msg("Q", cstr(sql))


def parse(name, sql, oids=()):
    return msg("P", cstr(name) + cstr(sql) + struct.pack("!h", len(oids)) +
               b"".join(struct.pack("!I", o) for o in oids))


def bind(portal, stmt, fmts, params, resfmts):
    b = cstr(portal) + cstr(stmt) + struct.pack("!h", len(fmts))
    b += b"".join(struct.pack("!h", f) for f in fmts)
    b += struct.pack("!h", len(params))
    for p in params:
        b += struct.pack("!i", -1) if p is None else struct.pack("!i", len(p)) + p
    b += struct.pack("!h", len(resfmts)) + b"".join(struct.pack("!h", f) for f in resfmts)
    return msg("B", b)


def describe(kind, name):
    return msg("D", kind.encode() + cstr(name))


def execute(portal, maxrows=0):
    return msg("E", cstr(portal) + struct.pack("!i", maxrows))


def close(kind, name):
    return msg("C", kind.encode() + cstr(name))


SYNC = msg("S")
FLUSH = msg("H")
TERMINATE = msg("X")

STARTUP = startup([("user", "dosql"), ("database", "dosql")])
CLIENT_FIRST = b"n,,n=,r=rOprNGfwEbeRWgbNEkqO"
SERVER_NONCE = "3rfcNHYJY1ZVvWVs7j"
CLIENT_FINAL = ("c=biws,r=rOprNGfwEbeRWgbNEkqO" + SERVER_NONCE + ",p=" +
                base64.b64encode(bytes(range(32))).decode()).encode()
CBIND_PLUS = base64.b64encode(b"p=tls-server-end-point,," + b"\x5a" * 32).decode()
CLIENT_FIRST_PLUS = b"p=tls-server-end-point,,n=,r=rOprNGfwEbeRWgbNEkqO"
CLIENT_FINAL_PLUS = ("c=" + CBIND_PLUS + ",r=rOprNGfwEbeRWgbNEkqO" + SERVER_NONCE + ",p=" +
                     base64.b64encode(bytes(range(32))).decode()).encode()

seeds = {
    "fuzz_startup": {
        "startup_v3": STARTUP,
        "startup_app_name": startup([("user", "dosql"), ("database", "dosql"),
                                     ("application_name", "psql"), ("client_encoding", "UTF8"),
                                     ("options", "-c search_path=public")]),
        "startup_user_only": startup([("user", "dosql")]),
        "startup_no_user": startup([("database", "dosql")]),
        "startup_v3_2_pq_option": startup([("user", "dosql"), ("_pq_.extension", "on")], 196610),
        "startup_refused": startup([("user", "dosql"), ("application_name", "refuse")]),
        "startup_v2": startup([("user", "dosql")], 131072),
        "ssl_request": request(80877103),
        "ssl_request_then_startup": request(80877103) + STARTUP,
        # the last byte (8) splits the input after the SSLRequest: the
        # startup packet then arrives after the TLS handshake
        "ssl_request_tls_startup": request(80877103) + STARTUP + b"\x08",
        "gssenc_request_then_startup": request(80877104) + STARTUP,
        "cancel_request": request(80877102, 1234, 5678),
        "startup_then_query": STARTUP + query("select 1"),
        "bad_length": struct.pack("!i", 3) + b"\0\3\0\0",
    },
    # byte 0: bits 0-1 auth (0 trust, 1 password, 2 scram, 3 md5), bits 2-3
    # chunks - 1, bit 4 TLS with a certificate hash
    "fuzz_messages": {
        "query": b"\x00" + query("select 1"),
        "query_chunked": b"\x0c" + query("select 1") + query("") + query("notice hi"),
        "query_error": b"\x00" + query("error here") + query("select 2"),
        "extended": b"\x04" + parse("", "select $1", (23,)) +
                    bind("", "", [0], [b"42"], [1]) + describe("P", "") + execute("") + SYNC,
        "extended_named": b"\x00" + parse("s1", "select $1, $2", (25, 23)) + describe("S", "s1") +
                          bind("p1", "s1", [1, 0], [b"\0\0\0\1", None], []) + execute("p1", 1) +
                          execute("p1") + close("P", "p1") + close("S", "s1") + SYNC,
        "extended_error_skip": b"\x08" + parse("", "error x") + bind("", "", [], [], []) +
                               execute("") + SYNC + query("select 3"),
        "flush": b"\x00" + parse("", "select 1") + FLUSH + bind("", "", [], [], []) + execute("") + SYNC,
        "copy_in": b"\x00" + query("copy t from stdin") + msg("d", b"1\tone\n") +
                   msg("d", b"2\ttwo\n") + msg("c"),
        "copy_fail": b"\x00" + query("copy t from stdin") + msg("d", b"1\n") + msg("f", cstr("stop")),
        "fastpath": b"\x00" + msg("F", b"\0\0\0\1") + SYNC,
        "terminate": b"\x00" + query("select 1") + TERMINATE,
        "scram_first": b"\x02" + msg("p", cstr("SCRAM-SHA-256") + struct.pack("!i", len(CLIENT_FIRST)) +
                                     CLIENT_FIRST) + msg("p", CLIENT_FINAL),
        "md5_password": b"\x03" + msg("p", cstr("md5" + "0" * 32)) + query("select 1"),
        "password": b"\x01" + msg("p", cstr("fuzzpass")) + query("select 1") + SYNC,
        "scram_plus": b"\x12" + msg("p", cstr("SCRAM-SHA-256-PLUS") + struct.pack("!i", len(CLIENT_FIRST_PLUS)) +
                                     CLIENT_FIRST_PLUS),
    },
    # byte 0: bit 0 doomed exchange, bit 1 fixed server nonce, bit 2 channel
    # binding offered, bit 3 SCRAM-SHA-256-PLUS selected
    "fuzz_scram": {
        "exchange_fixed_nonce": b"\x02" + CLIENT_FIRST + b"\n--\n" + CLIENT_FINAL,
        "exchange_doomed": b"\x03" + CLIENT_FIRST + b"\n--\n" + CLIENT_FINAL,
        "first_with_extension": b"\x02" + b"y,,n=user,r=abc,x=ext" + b"\n--\n" +
                                ("c=eSws,r=abc" + SERVER_NONCE + ",x=1,p=" +
                                 base64.b64encode(bytes(32)).decode()).encode(),
        "first_only": b"\x00" + CLIENT_FIRST,
        "exchange_plus": b"\x0e" + CLIENT_FIRST_PLUS + b"\n--\n" + CLIENT_FINAL_PLUS,
        "exchange_y_flag_offered": b"\x06" + b"y" + CLIENT_FIRST[1:] + b"\n--\n" + CLIENT_FINAL,
    },
}

# fuzz_values: byte 0 the type (its index in fuzz_values.c's types[]),
# byte 1 the decoder (0 text and back, 1 binary, 2 text to binary, 3 text in
# Europe/Paris with DMY), the rest the value
VALUE_TYPES = ["bool", "bytea", "char", "name", "int8", "int2", "int4", "text", "oid", "json", "float4", "float8",
               "bpchar", "varchar", "date", "time", "timestamp", "timestamptz", "interval", "timetz", "numeric",
               "uuid", "jsonb", "int2array", "int4array", "textarray"]
VALUES = {
    "bool": ["t", "off"], "bytea": ["\\x00ff", "a\\\\b"], "int8": ["-9223372036854775808"], "int4": [" 42 "],
    "json": ['{"a": [1, 2.5e3, null]}'], "float8": ["-0", "1e308", "Infinity"], "float4": ["1.5e-45", "NaN"],
    "bpchar": ["ab  "], "date": ["2024-02-29", "4713-01-01 BC", "infinity"], "time": ["24:00:00", "12:34:56.789"],
    "timestamp": ["2024-01-31 10:00:00.5", "294276-12-31 23:59:59"],
    "timestamptz": ["2024-10-27 02:30:00+02", "epoch", "2024-01-01 040506-08"],
    "interval": ["1 year 2 mons -3 days 04:05:06.7", "P1Y2M3DT4H5M6S"], "timetz": ["10:00:00+05:30"],
    "numeric": ["123456789.123456789", "-1e-16383", "NaN"], "uuid": ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
    "jsonb": ['{"b": 1, "a": [true, "x"]}'], "int4array": ["{1,NULL,-3}"], "textarray": ['{"a b",NULL,"c\\"d",""}'],
}
seeds["fuzz_values"] = {}
for t, values in VALUES.items():
    for k, v in enumerate(values):
        for decoder in (0, 2, 3):
            seeds["fuzz_values"]["%s_%d_%d" % (t, k, decoder)] = bytes([VALUE_TYPES.index(t), decoder]) + v.encode()
seeds["fuzz_values"]["int8_binary"] = bytes([VALUE_TYPES.index("int8"), 1]) + struct.pack("!q", -5)
seeds["fuzz_values"]["numeric_binary"] = bytes([VALUE_TYPES.index("numeric"), 1]) + bytes.fromhex("0002000100000000000100000c80")
seeds["fuzz_values"]["date_binary"] = bytes([VALUE_TYPES.index("date"), 1]) + struct.pack("!i", -1000)

# fuzz_sql: statements over its tables t (every common type) and u
SQL_SEEDS = [
    "SELECT id, n * 2, f / 3, s || v, c, b, d + 1, ts - interval '1 hour', tz AT TIME ZONE 'UTC' FROM t ORDER BY 2 DESC",
    "SELECT j -> 'k' ->> 0, j @> '{\"k\": [1]}', a[1], a || 3, array_length(a, 1), u, by FROM t",
    "SELECT count(*), sum(n), avg(f), string_agg(s, ',' ORDER BY id), array_agg(k) FILTER (WHERE k > 0) FROM t, u GROUP BY b",
    "SELECT id, rank() OVER (PARTITION BY b ORDER BY n), lag(s) OVER w FROM t WINDOW w AS (ORDER BY id)",
    "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 5) SELECT * FROM r",
    "SELECT * FROM t LEFT JOIN u ON u.t_id = t.id WHERE u.k IS NULL OR t.id IN (SELECT t_id FROM u)",
    "SELECT DISTINCT ON (b) b, id FROM t ORDER BY b, id",
    "SELECT to_char(ts, 'YYYY-MM-DD HH24:MI'), to_timestamp('2024', 'YYYY'), date_trunc('month', tz), extract(epoch FROM iv)",
    "SELECT round(n, 1), trunc(f), n ^ 2, sqrt(2::numeric), 10::numeric / 3, mod(7, 3), width_bucket(5, 0, 10, 3)",
    "SELECT x, y FROM generate_series(1, 3) x, LATERAL unnest(ARRAY[x, x * 2]) y",
    "SELECT regexp_replace(s, '[a-z]', 'X', 'g'), split_part('a,b', ',', 2), format('%s-%I', s, v) FROM t",
    "SELECT jsonb_build_object('a', id, 'b', s), jsonb_agg(j), json_object_agg(id, s) FROM t GROUP BY id",
    "SELECT id FROM t WHERE n > ALL (SELECT k FROM u WHERE k IS NOT NULL) OR s LIKE 'a%'",
    "VALUES (1, 'a'), (2, NULL) UNION SELECT k, w FROM u EXCEPT SELECT 2, NULL",
    "SELECT b, count(*) FROM t GROUP BY ROLLUP (b) HAVING count(*) > 0",
    "UPDATE t SET n = n + 1, a[2] = 5 WHERE id = 1 RETURNING *",
    "INSERT INTO u SELECT id, id, s FROM t ON CONFLICT DO NOTHING",
    "DELETE FROM u USING t WHERE u.t_id = t.id AND t.b",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY f), mode() WITHIN GROUP (ORDER BY s) FROM t",
    "SELECT CASE WHEN n IS NULL THEN 'none' ELSE n::text END, coalesce(v, c), nullif(id, 1), greatest(id, 2) FROM t",
]
seeds["fuzz_sql"] = {"statement_%02d" % i: q.encode() for i, q in enumerate(SQL_SEEDS)}

for target, files in seeds.items():
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
