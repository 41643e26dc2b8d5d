-- generate_series in the select list (one call, ungrouped) and
-- string_to_table in FROM.
CREATE TABLE t19_gs (a int) -- shard
INSERT INTO t19_gs SELECT generate_series(1, 5) -- shard
SELECT a FROM t19_gs ORDER BY a -- shard
SELECT generate_series(1, 3) -- shard
SELECT generate_series(1, 3) AS x, 'k' AS k -- shard
SELECT a, generate_series(1, a) FROM t19_gs WHERE a < 4 ORDER BY a, 2 -- shard
SELECT a, generate_series(a, 1, -1) AS g FROM t19_gs WHERE a < 3 ORDER BY a, g -- shard
SELECT generate_series(1, 3), generate_series(1, 3) -- shard
SELECT generate_series('2020-01-01'::timestamp, '2020-01-03', '1 day') -- shard
SELECT * FROM (SELECT 1 AS t, generate_series(1, 10) AS x UNION SELECT 2 AS t, 4 AS x) ss WHERE x < 4 ORDER BY x -- shard
SELECT generate_series(1, 3) FROM t19_gs WHERE false -- shard
SELECT count(*) FROM (SELECT generate_series(1, a) FROM t19_gs) s -- shard
DROP TABLE t19_gs -- shard
SELECT v, v IS NULL AS "is null" FROM string_to_table('1,2,3,4,,6', ',', '') g(v) -- shard
SELECT * FROM string_to_table('a|b', '|') -- shard
SELECT x.* FROM string_to_table('a|b', '|') x -- shard
SELECT t.v, s.v FROM (VALUES ('a-b'), ('c')) t(v), string_to_table(t.v, '-') s(v) ORDER BY 1, 2 -- shard
