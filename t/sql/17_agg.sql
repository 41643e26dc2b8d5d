-- Aggregates (issue 17): FILTER, DISTINCT and grouping keys, ordered and
-- statistical aggregates.  One statement per line, compared with
-- PostgreSQL 15 by t/053.
CREATE TABLE a17 (g int, x int, n numeric, f float8, s text)
INSERT INTO a17 VALUES (1, 1, 1.5, 1.5, 'b'), (1, 2, 2.25, 2, 'a'), (1, 3, NULL, 3, 'c'), (2, 4, 4.75, 4, 'd'), (2, 5, 5, 5, NULL), (2, NULL, 6.5, 6, 'a')
SELECT count(*), count(*) FILTER (WHERE x > 1), sum(x) FILTER (WHERE x < 4), avg(n) FILTER (WHERE g = 2) FROM a17
SELECT g, count(*) FILTER (WHERE s IS NOT NULL), max(s) FILTER (WHERE x <> 1), min(x) FILTER (WHERE false) FROM a17 GROUP BY g ORDER BY g
SELECT g, string_agg(s, ',') FILTER (WHERE x IS NOT NULL) FROM a17 GROUP BY g ORDER BY g
SELECT lower(s) FILTER (WHERE true) FROM a17
-- numeric values equal at different scales are one group, one DISTINCT row, one DISTINCT aggregate value
SELECT round(v, 2), count(*) FROM (SELECT 1.5 AS v UNION ALL SELECT 1.50 UNION ALL SELECT 2.0) s GROUP BY v ORDER BY 1
SELECT round(v, 2) FROM (SELECT DISTINCT v FROM (SELECT 1.5 AS v UNION ALL SELECT 1.50 UNION ALL SELECT 2.0) s) d ORDER BY 1
SELECT count(*) FROM (SELECT DISTINCT v FROM (SELECT 1.5 AS v UNION ALL SELECT 1.50 UNION ALL SELECT 2.0) s) d
SELECT count(DISTINCT v), sum(DISTINCT v), avg(DISTINCT v) FROM (SELECT 1.5 AS v UNION ALL SELECT 1.50 UNION ALL SELECT 2.0) s
SELECT count(*) FROM (SELECT n * 1.0 AS k FROM a17 UNION ALL SELECT n * 1.00 FROM a17) s GROUP BY k HAVING count(*) > 1 ORDER BY 1
SELECT round(k, 3), count(*) FROM (SELECT n * 1.0 AS k FROM a17 UNION ALL SELECT n * 1.00 FROM a17) s GROUP BY k ORDER BY 1
SELECT round(n * 1.0, 3) AS k, count(*) FROM (SELECT n FROM a17 UNION ALL SELECT n FROM a17) s GROUP BY n * 1.0 ORDER BY 1
SELECT v * 1 AS k, count(*) FROM (SELECT 2.50 AS v UNION ALL SELECT 2.5) s GROUP BY k
SELECT v * 1, count(*) FROM (SELECT 2.50 AS v UNION ALL SELECT 2.5) s GROUP BY 1
SELECT count(DISTINCT s), count(DISTINCT g), count(DISTINCT n) FROM a17
-- ordered aggregates, array_agg(DISTINCT), ordered-set aggregates
INSERT INTO a17 VALUES (2, 7, 1.50, 0.1, 'b')
SELECT g, string_agg(s, ',' ORDER BY s), string_agg(s, '-' ORDER BY x DESC), array_agg(x ORDER BY s NULLS FIRST, x)::text FROM a17 GROUP BY g ORDER BY g
SELECT array_agg(DISTINCT s)::text, array_agg(DISTINCT n)::text, array_agg(DISTINCT x ORDER BY x DESC)::text FROM a17
SELECT string_agg(DISTINCT s, ',' ORDER BY s), string_agg(s, ',' ORDER BY n DESC NULLS LAST, s) FROM a17
SELECT array_agg(x ORDER BY s)::text, string_agg(s, ',' ORDER BY x) FROM a17 WHERE false
SELECT array_agg(DISTINCT x ORDER BY s) FROM a17
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY f), percentile_disc(0.5) WITHIN GROUP (ORDER BY n), mode() WITHIN GROUP (ORDER BY s) FROM a17
SELECT g, percentile_cont(0.25) WITHIN GROUP (ORDER BY x), percentile_disc(0.75) WITHIN GROUP (ORDER BY x), percentile_disc(0) WITHIN GROUP (ORDER BY s) FROM a17 GROUP BY g ORDER BY g
SELECT percentile_cont(1.5) WITHIN GROUP (ORDER BY f) FROM a17
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY f) FROM a17 WHERE false
-- statistical aggregates: float8 over floats, exact numeric over integers and numeric
SELECT stddev(x), variance(x), stddev_pop(x), var_pop(x), stddev_samp(n), var_samp(n) FROM a17
SELECT stddev(f), variance(f), stddev_pop(f), var_pop(f), stddev_samp(f), var_samp(f) FROM a17
SELECT g, stddev(x), variance(n), stddev(f), var_pop(n) FROM a17 GROUP BY g ORDER BY g
SELECT corr(f, x), covar_pop(f, x), covar_samp(f, x), regr_count(f, x), regr_sxx(f, x), regr_syy(f, x), regr_sxy(f, x) FROM a17
SELECT regr_avgx(f, x), regr_avgy(f, x), regr_r2(f, x), regr_slope(f, x), regr_intercept(f, x) FROM a17
SELECT variance(x), stddev(x), stddev_pop(x), var_pop(x), regr_count(x, f), corr(x, f) FROM a17 WHERE x = 1
SELECT variance(x), stddev(f), regr_count(x, f), covar_pop(x, f) FROM a17 WHERE false
SELECT stddev(v), variance(v) FROM (SELECT 1.123456789::numeric AS v UNION ALL SELECT 2.2 UNION ALL SELECT 3.33333) t
SELECT variance(v), stddev(v) FROM (SELECT 100000000000::int8 AS v UNION ALL SELECT 2 UNION ALL SELECT 3) t
SELECT stddev(v), variance(v) FROM (SELECT 'NaN'::numeric AS v UNION ALL SELECT 2) t
SELECT bit_and(x), bit_or(x), bit_xor(x), bit_and(g::int2), bit_or(x::int8) FROM a17
SELECT stddev(x) FILTER (WHERE g = 1), regr_count(x, f) FILTER (WHERE g = 2) FROM a17
SELECT x, stddev(f) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), variance(x) OVER (ORDER BY x) FROM a17 ORDER BY x
-- SELECT DISTINCT ON
CREATE TABLE d17 (uid int, ts int, v numeric, s text)
INSERT INTO d17 VALUES (1, 10, 1.5, 'a'), (1, 20, 2.5, 'b'), (2, 5, 3, 'c'), (2, 15, 4, NULL), (3, 1, NULL, 'e'), (1, 20, 9, 'z')
SELECT DISTINCT ON (uid) uid, ts, s FROM d17 ORDER BY uid, ts DESC, s
SELECT DISTINCT ON (uid) * FROM d17 ORDER BY uid, ts
SELECT DISTINCT ON (1) uid, ts FROM d17 ORDER BY 1, 2 DESC
SELECT DISTINCT ON (uid, ts) uid, ts FROM d17 ORDER BY uid, ts
SELECT DISTINCT ON (uid) uid, ts FROM d17 ORDER BY uid DESC, ts LIMIT 2
SELECT DISTINCT ON (uid) uid, ts FROM d17 ORDER BY uid DESC, ts LIMIT 1 OFFSET 1
SELECT DISTINCT ON (s IS NULL) s FROM d17 ORDER BY s IS NULL, s
SELECT DISTINCT ON (uid) uid, ts FROM d17 ORDER BY ts
SELECT DISTINCT ON (u) uid AS u, max(ts) FROM d17 GROUP BY uid ORDER BY u
SELECT count(*) FROM (SELECT DISTINCT ON (uid) uid FROM d17) x
SELECT DISTINCT ON (x) round(x, 2), y FROM (SELECT 1.5 AS x, 1 AS y UNION ALL SELECT 1.50, 2 UNION ALL SELECT 2, 3) z ORDER BY x, y
SELECT DISTINCT ON (uid) uid, ts, row_number() OVER (ORDER BY ts) FROM d17 ORDER BY uid, ts
-- GROUPING SETS, ROLLUP, CUBE and GROUPING()
CREATE TABLE g17 (a int, b text, c int, n numeric)
INSERT INTO g17 VALUES (1, 'x', 10, 1.5), (1, 'y', 20, 2.5), (2, 'x', 30, 3), (2, 'w', 40, 4), (3, 'z', 50, NULL)
SELECT a, b, sum(c), count(*) FROM g17 GROUP BY ROLLUP (a, b) ORDER BY a, b
SELECT a, b, sum(c), grouping(a, b), grouping(b) FROM g17 GROUP BY CUBE (a, b) ORDER BY a, b, 4
SELECT a, b, sum(c) FROM g17 GROUP BY GROUPING SETS ((a), (b), ()) ORDER BY a, b
SELECT a, sum(c) FROM g17 GROUP BY GROUPING SETS (a, ()) HAVING sum(c) > 30 ORDER BY 1
SELECT a, b, count(*) FROM g17 GROUP BY a, ROLLUP (b) ORDER BY 1, 2
SELECT a + 1 AS a1, sum(n) FROM g17 GROUP BY ROLLUP (a + 1) ORDER BY 1
SELECT a, b, c, count(*) FROM g17 GROUP BY ROLLUP (a, (b, c)) ORDER BY 1, 2, 3
SELECT count(*) FROM g17 GROUP BY ()
SELECT sum(c) FROM g17 GROUP BY GROUPING SETS ((), ())
SELECT a, string_agg(b, ',' ORDER BY b), stddev(c) FROM g17 GROUP BY ROLLUP (a) ORDER BY a
SELECT grouping(a), a FROM g17 GROUP BY a ORDER BY a
SELECT a AS k FROM g17 WHERE false GROUP BY ROLLUP (a)
SELECT a, sum(c) FROM g17 GROUP BY ROLLUP (a) ORDER BY 2 DESC LIMIT 2
-- json_agg and jsonb_agg
CREATE TABLE j17 (i int, s text, n numeric, b bool, f float8, d date, jb jsonb)
INSERT INTO j17 VALUES (1, 'a"b', 1.25, true, 1.5, '2020-01-02', '{"x": 1}'), (2, NULL, NULL, false, 'NaN', NULL, NULL), (3, 'c', 3, NULL, 2, '2021-03-04', '[1,2]')
SELECT json_agg(i), json_agg(s), json_agg(n), json_agg(b), json_agg(f), json_agg(d), json_agg(jb) FROM j17
SELECT jsonb_agg(i), jsonb_agg(s ORDER BY i DESC), jsonb_agg(jb) FROM j17
SELECT json_agg(i ORDER BY i DESC), json_agg(DISTINCT s), json_agg(s) FILTER (WHERE i > 1) FROM j17
SELECT json_agg(i) FROM j17 WHERE false
SELECT i, json_agg(i) OVER (ORDER BY i) FROM j17 ORDER BY i
SELECT pg_typeof(json_agg(i))::text, pg_typeof(jsonb_agg(i))::text FROM j17
-- planner settings the regression files set around aggregates
SET parallel_setup_cost = 0 -- shard
SET jit_above_cost TO DEFAULT -- shard
SHOW min_parallel_table_scan_size -- shard
RESET parallel_setup_cost -- shard
SELECT min(x) FROM (SELECT '\x01'::bytea AS x) s
SELECT max(b) FROM (SELECT true AS b) s
-- grouping sets ordered by expressions that are not outputs, and by GROUPING()
SELECT a, sum(c) FROM g17 GROUP BY ROLLUP (a) ORDER BY grouping(a), a
SELECT a, b, sum(c) FROM g17 GROUP BY ROLLUP (a, b) ORDER BY sum(c) DESC, a, b LIMIT 4
SELECT b FROM g17 GROUP BY CUBE (a, b) ORDER BY a NULLS FIRST, b NULLS FIRST LIMIT 5 OFFSET 2
SELECT a AS x, count(*) AS x FROM g17 GROUP BY ROLLUP (a) ORDER BY 1
SELECT percentile_cont(0.3) WITHIN GROUP (ORDER BY f DESC), percentile_disc(0.3) WITHIN GROUP (ORDER BY x DESC), mode() WITHIN GROUP (ORDER BY s DESC) FROM a17
SELECT percentile_disc(0) WITHIN GROUP (ORDER BY s DESC NULLS LAST), percentile_disc(1) WITHIN GROUP (ORDER BY s DESC) FROM a17
-- string_agg over bytea
CREATE TABLE b17 (v bytea, i int)
INSERT INTO b17 VALUES ('\xff', 1), ('\xaa', 2), (NULL, 3)
SELECT string_agg(v, '')::text, string_agg(v, '\x00'::bytea ORDER BY i DESC)::text, string_agg(v, NULL)::text FROM b17
SELECT string_agg(v, '\x01')::text FROM b17 WHERE false
SELECT i, (string_agg(v, '\x02') OVER (ORDER BY i))::text FROM b17 ORDER BY i
-- json_object_agg
SELECT json_object_agg(s, n), json_object_agg(i, s ORDER BY i DESC) FROM j17 WHERE s IS NOT NULL
SELECT json_object_agg(s, i) FROM j17 WHERE false
SELECT i, json_object_agg(i, b) OVER (ORDER BY i) FROM j17 ORDER BY i
