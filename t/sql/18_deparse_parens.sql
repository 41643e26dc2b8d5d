-- Operands whose precedence needs parentheses, in statements the router rebuilds for
-- the shards and for its own engine (partial aggregates, merges, final steps):
-- each keeps its meaning (issue 16).  Compared with PostgreSQL 15 by t/053_pg_examples.pl.
CREATE TABLE c18_p (id int PRIMARY KEY, a int, b int, f bool, t timestamptz, arr int[])
INSERT INTO c18_p VALUES (1, 1, 1, true, '2024-03-10 07:30:00+00', '{1,2,3}'), (2, 1, 2, false, NULL, '{4}'), (3, NULL, 2, NULL, '2024-10-27 01:30:00+00', NULL), (4, 5, NULL, true, '2000-02-29 12:00:00+00', '{}')
SELECT count(*), min(id), max(id) FROM c18_p WHERE (a IS DISTINCT FROM b) IS NULL
SELECT count(*), min(id), max(id) FROM c18_p WHERE (a IS DISTINCT FROM b) IS TRUE
SELECT count(*), min(id), max(id) FROM c18_p WHERE (a IS NOT DISTINCT FROM b) IS NOT FALSE
SELECT id, (a IS DISTINCT FROM b) IS NULL AS x, (a IS DISTINCT FROM b) IS UNKNOWN AS y FROM c18_p ORDER BY id
SELECT id FROM c18_p WHERE (a IS DISTINCT FROM b) IN (true, NULL) ORDER BY id
SELECT id FROM c18_p WHERE true BETWEEN f AND (a IS DISTINCT FROM b) ORDER BY id
SELECT id FROM c18_p WHERE (a < b) BETWEEN false AND f ORDER BY id
SELECT id FROM c18_p WHERE (a = b) IN (true, false) ORDER BY id
SELECT id, a IS DISTINCT FROM (b IS NULL)::int AS x FROM c18_p ORDER BY id
SELECT id, f IS DISTINCT FROM (a IS NULL) AS x FROM c18_p ORDER BY id
SELECT id, (a IS NULL)::text AS x, (f IS TRUE)::int AS y, -(b IS NULL)::int AS z FROM c18_p ORDER BY id
SELECT max((a IS NULL)::text), sum(-(b IS NULL)::int), count(*) FROM c18_p
SELECT id FROM c18_p WHERE NOT (f) IS NULL ORDER BY id
SELECT id FROM c18_p WHERE (NOT f) IS NULL ORDER BY id
SELECT count(*) FROM c18_p WHERE (NOT f) IS NOT NULL
SELECT id, (a = b) = f AS x, (f OR b > 1) AND a = 1 AS y FROM c18_p ORDER BY id
SELECT id FROM c18_p WHERE (f OR a = 5) AND b IS NULL ORDER BY id
SELECT id, -(a ^ 2) AS x, (a - b) - 1 AS y, a - (b - 1) AS z FROM c18_p ORDER BY id
SELECT id, (arr)[1] AS x, (ARRAY[a, b])[2] AS y, (coalesce(arr, '{9}'))[1] AS z FROM c18_p ORDER BY id
SELECT count(*), max((ARRAY[a, b])[1:2])::text, min((coalesce(arr, '{9}'))[1:1])::text FROM c18_p
SELECT id FROM c18_p WHERE (ARRAY[a, b])[1:2] IS DISTINCT FROM '{1,1}'::int[] ORDER BY id
SELECT id, (t AT TIME ZONE 'UTC')::time AS x FROM c18_p ORDER BY id
SELECT count(*) FROM c18_p WHERE time '12:00' IN (time '12:00', (t AT TIME ZONE 'UTC')::time)
SELECT id FROM c18_p WHERE (a = b) IN (SELECT f FROM c18_p WHERE id = 1) ORDER BY id
SELECT (a IS DISTINCT FROM b) IS NULL AS g, count(*) FROM c18_p GROUP BY 1 ORDER BY 1
SELECT (a IS NULL)::text AS g, count(*) FROM c18_p GROUP BY 1 HAVING count(*) >= 1 ORDER BY 1
