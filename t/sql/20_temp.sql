-- TEMP tables that shadow a permanent table of the same name (pg_temp is
-- first in the search path), compared with PostgreSQL 15 by t/053.  One
-- statement per line.  Through the router a TEMP table may not take a
-- permanent table's name (t/155), so those lines run on the shard only.
CREATE TABLE t20_base (id int, v text)
INSERT INTO t20_base VALUES (1, 'perm'), (2, 'perm')
CREATE TEMP TABLE t20_base (id int, w float8) -- shard
INSERT INTO t20_base VALUES (10, 1.5) -- shard
SELECT * FROM t20_base ORDER BY id -- shard
SELECT t20_base.w FROM t20_base -- shard
SELECT * FROM public.t20_base ORDER BY id -- shard
SELECT * FROM pg_temp.t20_base -- shard
UPDATE t20_base SET w = w * 2 RETURNING * -- shard
SELECT p.v, t.w FROM public.t20_base p, t20_base t ORDER BY p.id -- shard
SELECT count(*) FROM t20_base WHERE id IN (SELECT id FROM t20_base) -- shard
INSERT INTO t20_base SELECT id * 100, id FROM public.t20_base -- shard
SELECT * FROM t20_base ORDER BY id -- shard
WITH c AS (SELECT id FROM t20_base) SELECT count(*) FROM c -- shard
SELECT count(*) FROM t20_base JOIN public.t20_base p ON p.id * 100 = t20_base.id -- shard
DELETE FROM t20_base WHERE id = 10 RETURNING id -- shard
CREATE TEMP TABLE t20_base (x int) -- shard
CREATE TEMP TABLE IF NOT EXISTS t20_base (x int) -- shard
DROP TABLE t20_base -- shard
SELECT * FROM t20_base ORDER BY id
CREATE TEMP TABLE t20_base AS SELECT 7 AS seven -- shard
SELECT * FROM t20_base -- shard
DROP TABLE pg_temp.t20_base -- shard
SELECT count(*) FROM t20_base
CREATE TEMP VIEW t20_base AS SELECT 'view' AS k -- shard
SELECT * FROM t20_base -- shard
DROP VIEW t20_base -- shard
SELECT id, v INTO TEMP t20_base FROM public.t20_base WHERE id = 1 -- shard
SELECT * FROM t20_base -- shard
DROP TABLE t20_base -- shard
SELECT count(*) FROM t20_base
DROP TABLE t20_base
SELECT count(*) FROM t20_base
CREATE TEMP TABLE t20_own (id int, s text)
INSERT INTO t20_own VALUES (1, 'a'), (2, 'b')
SELECT * FROM t20_own ORDER BY id
UPDATE t20_own SET s = upper(s) WHERE id = 2 RETURNING *
SELECT count(*), max(s) FROM t20_own
DROP TABLE t20_own
