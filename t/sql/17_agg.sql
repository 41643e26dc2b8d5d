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
