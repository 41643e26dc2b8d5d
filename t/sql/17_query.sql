-- Query forms and schema objects (issue 17) compared with PostgreSQL 15 by
-- t/053: column aliases on FROM items, TEMP tables, CREATE TABLE AS and
-- SELECT INTO.  One statement per line.
SELECT * FROM (SELECT 1, 'a') AS s(x, y)
SELECT a, b FROM (VALUES (1, 'x'), (2, 'y'), (3, NULL)) AS v(a, b) ORDER BY a DESC
SELECT s.x, s.z FROM (SELECT 1 AS y, 2 AS z) s(x)
SELECT v.n * 2 FROM (VALUES (1.5), (2)) v(n) ORDER BY 1
SELECT * FROM (SELECT 1, 2) AS s(a, b, c)
SELECT t.a FROM (SELECT 1 AS x) AS t(a) WHERE t.a = 1
SELECT x FROM (SELECT 1 AS x) AS t(a)
SELECT count(*) FROM (VALUES (1), (2)) v(n) JOIN (VALUES (2), (3)) w(m) ON v.n = w.m
SELECT g.i FROM generate_series(1, 3) AS g(i) ORDER BY g.i DESC
SELECT (SELECT q.k FROM (SELECT o.n + 10) AS q(k)) FROM (VALUES (1), (2)) o(n) ORDER BY 1
