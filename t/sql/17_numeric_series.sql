-- generate_series over numeric (issue 17).  One statement per line,
-- compared with PostgreSQL 15 by t/053.
SELECT * FROM generate_series(1.0, 3)
SELECT * FROM generate_series(0.1, 1.2, 0.3)
SELECT x FROM generate_series(10, 1.5, -2.25) AS g(x)
SELECT x, n FROM generate_series(-1.5, 1, 0.50) WITH ORDINALITY AS g(x, n)
SELECT count(*), sum(x), max(x) FROM generate_series(1::numeric, 1000, 1.5) x
SELECT * FROM generate_series(3.0, 1)
SELECT * FROM generate_series(1.0, 1.0, -1)
SELECT * FROM generate_series(NULL::numeric, 3)
SELECT * FROM generate_series(1.0, 3, NULL)
SELECT (i / (10::numeric ^ 131071))::numeric(1,0) FROM generate_series(6 * (10::numeric ^ 131071), 9 * (10::numeric ^ 131071), 10::numeric ^ 131071) AS a(i)
SELECT * FROM generate_series(1.0, 3, 0)
SELECT * FROM generate_series('NaN'::numeric, 3)
SELECT * FROM generate_series(1, 'Infinity'::numeric)
SELECT * FROM generate_series(1, 3, '-Infinity'::numeric)
SELECT * FROM generate_series(1, 3, 'NaN'::numeric)
CREATE TABLE ns17 (lo numeric(6,2), hi int)
INSERT INTO ns17 VALUES (1, 3), (0.5, 1)
SELECT lo, (SELECT string_agg(v::text, ',') FROM generate_series(lo, hi, 0.5) v) FROM ns17 ORDER BY lo
