-- A cursor declared without SCROLL fetches backward as PostgreSQL's do when
-- its plan can scan backward (the rows come again from the query, which
-- the session has not changed since DECLARE).
CREATE TABLE t19_cur (k int, v text) -- shard
INSERT INTO t19_cur VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd') -- shard
BEGIN -- shard
DECLARE c1 CURSOR FOR SELECT k, v FROM t19_cur ORDER BY k LIMIT 3 -- shard
FETCH ALL IN c1 -- shard
FETCH 1 IN c1 -- shard
FETCH BACKWARD 1 IN c1 -- shard
FETCH BACKWARD ALL IN c1 -- shard
FETCH BACKWARD 1 IN c1 -- shard
FETCH ALL IN c1 -- shard
DECLARE c2 CURSOR FOR SELECT k FROM t19_cur ORDER BY k DESC -- shard
MOVE 2 IN c2 -- shard
FETCH BACKWARD 1 IN c2 -- shard
FETCH ABSOLUTE -1 IN c2 -- shard
FETCH RELATIVE -2 IN c2 -- shard
DECLARE c3 NO SCROLL CURSOR FOR SELECT k FROM t19_cur ORDER BY k -- shard
FETCH 2 IN c3 -- shard
FETCH BACKWARD 1 IN c3 -- shard
ROLLBACK -- shard
DROP TABLE t19_cur -- shard
