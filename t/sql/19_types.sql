-- Composite types and domains (CREATE TYPE ... AS, CREATE DOMAIN), casts
-- to domains and columns of domains checked against their constraints, and
-- json(b)_populate_record(set) over composite types; both in pg_type.
CREATE TYPE t19_pop AS (a text, b int, c timestamp) -- shard
CREATE TYPE t19_pop AS (x int) -- shard
CREATE TYPE t19_dup AS (x int, x text) -- shard
CREATE TYPE t19_bad AS (x no_such_type) -- shard
CREATE DOMAIN t19_nn AS int NOT NULL -- shard
CREATE DOMAIN t19_arr3 AS int[] CHECK (array_length(VALUE, 1) = 3) -- shard
CREATE DOMAIN t19_pos AS int CHECK (VALUE > 0) CONSTRAINT t19_small CHECK (VALUE < 100) -- shard
CREATE DOMAIN t19_badcheck AS int CHECK (VALUE + 1) -- shard
CREATE DOMAIN t19_badcol AS int CHECK (nosuch > 1) -- shard
CREATE DOMAIN t19_txt AS varchar(5) -- shard
CREATE TYPE t19_rec AS (i int, ia int[], a3 t19_arr3, t text, c char(4), js json, jsb jsonb, ts timestamp) -- shard
CREATE TYPE t19_nnrec AS (i t19_nn) -- shard
SELECT typname, typtype, typnotnull FROM pg_type WHERE typname LIKE 't19%' ORDER BY 1 -- shard
SELECT typname, format_type(typbasetype, typtypmod), format_type(oid, NULL) FROM pg_type WHERE typtype = 'd' AND typname LIKE 't19%' ORDER BY 1 -- shard
SELECT 5::t19_pos, 99::t19_pos, NULL::t19_pos -- shard
SELECT 0::t19_pos -- shard
SELECT 100::t19_pos -- shard
SELECT NULL::t19_nn -- shard
SELECT 7::t19_nn + 1 -- shard
SELECT '{1,2,3}'::t19_arr3, '{1,2}'::t19_arr3 IS NULL -- shard
SELECT 'abcdefgh'::t19_txt -- shard
SELECT * FROM json_populate_record(NULL::t19_pop, '{"a":"blurfl","x":43.2}') q -- shard
SELECT * FROM jsonb_populate_record(NULL::t19_pop, '{"a":"blurfl","b":7,"c":"2012-01-20 10:42:53"}') q -- shard
SELECT * FROM json_populate_record(row('x',3,'2012-12-31 15:30:56')::t19_pop, '{"a":"blurfl","x":43.2}') q -- shard
SELECT * FROM jsonb_populate_record(row('x',3,'2012-12-31 15:30:56')::t19_pop, '{}') q -- shard
SELECT * FROM json_populate_record(row('x',3,'2012-12-31 15:30:56')::t19_pop, '{"b":null}') q -- shard
SELECT * FROM json_populate_record(row('x',3,'2012-12-31 15:30:56')::t19_pop, '{"c":[100,200,false]}') q -- shard
SELECT * FROM json_populate_record(row('x',3)::t19_pop, '{}') q -- shard
SELECT * FROM json_populate_recordset(NULL::t19_pop, '[{"a":"blurfl","x":43.2},{"b":3,"c":"2012-01-20 10:42:53"}]') q -- shard
SELECT * FROM jsonb_populate_recordset(row('def',99,NULL)::t19_pop, '[{"a":"blurfl","x":43.2},{"b":3,"c":"2012-01-20 10:42:53"}]') q -- shard
SELECT * FROM jsonb_populate_recordset(NULL::t19_pop, '[]') q -- shard
SELECT b, a FROM jsonb_populate_recordset(NULL::t19_pop, '[{"a":"x","b":1},{"a":"y","b":2}]') q WHERE b > 1 -- shard
SELECT i FROM json_populate_record(NULL::t19_nnrec, '{"x": 43.2}') q -- shard
SELECT i FROM json_populate_record(NULL::t19_nnrec, '{"i": null}') q -- shard
SELECT i FROM jsonb_populate_record(NULL::t19_nnrec, '{"i": 12345}') q -- shard
SELECT ia::text FROM json_populate_record(NULL::t19_rec, '{"ia": [1, "2", null, 4]}') q -- shard
SELECT ia FROM jsonb_populate_record(NULL::t19_rec, '{"ia": 123}') q -- shard
SELECT a3::text FROM json_populate_record(NULL::t19_rec, '{"a3": [1, "2", null]}') q -- shard
SELECT a3 FROM json_populate_record(NULL::t19_rec, '{"a3": [1, 2]}') q -- shard
SELECT c FROM json_populate_record(NULL::t19_rec, '{"c": "aa"}') q -- shard
SELECT c FROM json_populate_record(NULL::t19_rec, '{"c": "aaaaaaa"}') q -- shard
SELECT js, jsb FROM json_populate_record(NULL::t19_rec, '{"js": {"a": "bbb", "b": null}, "jsb": [1, "2", {"k": "v"}]}') q -- shard
SELECT t, ts FROM jsonb_populate_record(NULL::t19_rec, '{"t": "abc", "ts": "2003-01-02 10:00"}') q -- shard
SELECT * FROM json_populate_record(NULL::t19_nosuch, '{}') q -- shard
CREATE TABLE t19_tab (a t19_nn, b t19_txt) -- shard
INSERT INTO t19_tab VALUES (1, 'abc') -- shard
INSERT INTO t19_tab VALUES (NULL, 'abc') -- shard
SELECT a, b FROM t19_tab -- shard
CREATE TABLE t19_ctab (id int PRIMARY KEY, p t19_pos, t t19_txt) -- shard
INSERT INTO t19_ctab VALUES (1, 5, 'ab') -- shard
INSERT INTO t19_ctab VALUES (2, 0, 'ab') -- shard
INSERT INTO t19_ctab VALUES (3, 100, 'ab') -- shard
INSERT INTO t19_ctab VALUES (4, NULL, 'ab') -- shard
UPDATE t19_ctab SET p = -1 WHERE id = 1 -- shard
UPDATE t19_ctab SET p = p + 1 WHERE id = 1 -- shard
INSERT INTO t19_ctab SELECT 10 + g, g - 1, 'x' FROM generate_series(1, 3) g -- shard
SELECT id, p, t FROM t19_ctab ORDER BY id -- shard
DROP TABLE t19_ctab -- shard
DROP TYPE t19_pop -- shard
DROP DOMAIN t19_rec -- shard
DROP DOMAIN t19_pos -- shard
SELECT 1::t19_pos -- shard
DROP DOMAIN IF EXISTS t19_pos -- shard
DROP DOMAIN t19_arr3 -- shard
DROP TYPE t19_rec -- shard
DROP DOMAIN t19_arr3 -- shard
DROP TABLE t19_tab -- shard
DROP TYPE t19_nnrec -- shard
DROP DOMAIN t19_nn, t19_txt -- shard
CREATE DOMAIN t19_rpos AS int CHECK (VALUE > 0)
CREATE TYPE t19_rpair AS (x int, y text)
SELECT 5::t19_rpos
SELECT (-5)::t19_rpos
SELECT * FROM jsonb_populate_record(NULL::t19_rpair, '{"x": 1, "y": "a"}')
DROP TYPE t19_rpair
DROP DOMAIN t19_rpos
