-- Constant expressions PostgreSQL's planner evaluates before the statement
-- runs (eval_const_expressions): their errors are the statement's even on
-- an empty table or under a false WHERE, except where the planner's short
-- cuts (AND, OR, CASE, COALESCE) drop them, and stable functions are not
-- folded.  Compared with PostgreSQL 15 by t/053: one statement per line.
CREATE TABLE c20_e (id int PRIMARY KEY, a int, t timestamptz)
CREATE TABLE c20_r (id int PRIMARY KEY, a int, n numeric)
INSERT INTO c20_r VALUES (1, 0, 0), (2, 5, 2.5), (3, NULL, NULL)
SELECT 1 / 0 FROM c20_e
SELECT a FROM c20_e WHERE a = (9223372036854775807)::int2
SELECT a FROM c20_r WHERE false AND a = 1 / 0
SELECT a FROM c20_r WHERE a = 1 / 0 AND false
SELECT a FROM c20_r WHERE true OR a = 1 / 0
SELECT a FROM c20_r WHERE a = 1 / 0 OR true
SELECT count(*), sum(2.5 / 0) FROM c20_r WHERE false
SELECT count(*), min(mod(9223372036854775807, 0)) FROM c20_e
SELECT CASE WHEN a > 0 THEN 1 / 0 END FROM c20_e
SELECT CASE WHEN 1 > 2 THEN 1 / 0 ELSE a END FROM c20_r ORDER BY id
SELECT CASE WHEN 1 < 2 THEN a ELSE 1 / 0 END FROM c20_r ORDER BY id
SELECT CASE WHEN a > 0 THEN a WHEN 1 < 2 THEN 0 ELSE 1 / 0 END FROM c20_r ORDER BY id
SELECT coalesce(1, 1 / 0) FROM c20_e
SELECT coalesce(a, 1 / 0) FROM c20_e
SELECT coalesce(NULL::int, 2, 1 / 0) FROM c20_r
SELECT id FROM c20_r WHERE a IN (SELECT 1 / 0 FROM c20_e) ORDER BY id
SELECT id FROM c20_r WHERE a IN (SELECT (32767 + 2147483647) FROM c20_e WHERE false) ORDER BY id
SELECT id FROM c20_e WHERE t > ('infinity'::timestamp)::timestamptz - interval '1 day'
SELECT id FROM c20_e WHERE t < now() - interval '1 day'
SELECT count(*) FROM c20_e WHERE a::text = ('-infinity'::date - 1)::text
SELECT count(*), max(('NaN'::float8)::int8) FROM c20_r WHERE NULL::bool
SELECT count(*), min((99999999999999999999.5)::numeric(10,2)) FROM c20_r WHERE a > 100
SELECT a, n FROM c20_r WHERE abs(-3) > 2 ORDER BY id
SELECT a + abs(-2), n * sqrt(4) FROM c20_r ORDER BY id
SELECT id FROM c20_r WHERE n > (1.5 % ceil(0.0)) ORDER BY id
SELECT id FROM c20_r ORDER BY id LIMIT 2 OFFSET 1
SELECT * FROM (VALUES (1 + 1), (2 * 3)) v(x) ORDER BY x DESC
SELECT id, (('{}'::int[])[-1] / (1 / a)) FROM c20_r ORDER BY id
SELECT id, ((NULL::int[])[0] * (0 / a)) + (1 / a) FROM c20_r ORDER BY id
SELECT id, abs(NULL::int + (1 / a)) FROM c20_r ORDER BY id
SELECT id FROM c20_r WHERE (array_length('{}'::int[], 1) * (1 / a)) IS NULL ORDER BY id
SELECT id, mod(position(NULL::text in 'a b'), a) FROM c20_r ORDER BY id
SELECT (('{}'::int[])[-1] / (1 / a)) AS g, count(*) FROM c20_r GROUP BY 1 ORDER BY 1
SELECT '2024-01-01T101112'::timestamp, '2024-01-01T1011'::timestamp, '2024-01-01t101112.5'::timestamp, '2024/01/01T101112'::timestamp
SELECT '2024-01-01T101112+02'::timestamptz, '2024-01-01T101112'::timestamptz
SELECT '2024-01-01T10'::timestamp
SELECT '2024-01-01T1011123'::timestamp
SELECT array_replace(ARRAY[1,NULL], 1, 9223372036854775807)::text, array_position('{1,2}'::int[], 9223372036854775807), array_remove('{1,2}'::int[], 2::bigint)::text
SELECT array_position(ARRAY[1.5,2], 2), array_remove(ARRAY[1,2], 1.0)::text, pg_typeof(array_remove(ARRAY[1,2], 1.0)), array_replace(ARRAY[1,2], 1, 2.5)::text
SELECT id, array_position('{1,2}'::int[], n), array_replace('{1,2}'::int[], 1, n)::text FROM c20_r ORDER BY id
SELECT sign(0) % 1
SELECT 1 % 1.5::real
SELECT NULL::float8 % 2
SELECT id FROM c20_r WHERE n > (1.5 % ceil(0)) ORDER BY id
SELECT 5 % 3, 5.5 % 2, -7 % 3, mod(-7.5, 2)
SELECT id, (a > 100 AND 1 / a > 0), (a < 100 OR 1 / a > 0), (a IS NULL OR NULL), (a > 1 AND NULL) FROM c20_r ORDER BY id
SELECT id FROM c20_r WHERE (a > 100 AND 1 / a > 0) = false ORDER BY id
SELECT count(*), count(v) FROM (SELECT (NULL::int BETWEEN 0 AND (-1 / a)) AS v FROM c20_r WHERE true) s
SELECT count(*) FROM c20_r WHERE (mod(1.5, n) BETWEEN NULL::numeric AND 2.5)
SELECT count(*) FROM c20_r WHERE id > 0 AND (mod(1.5, n) BETWEEN NULL::numeric AND 2.5)
SELECT id FROM c20_r WHERE (a BETWEEN 2 AND ((a + a) / a)) ORDER BY id
SELECT id, a BETWEEN 1 AND 5, a NOT BETWEEN 1 AND 5, n BETWEEN 0 AND 2.5, 'b' BETWEEN 'a' AND 'c', 2 BETWEEN 3 AND 1 FROM c20_r ORDER BY id
SELECT id FROM c20_r WHERE a BETWEEN 1 AND 5 OR id = 3 ORDER BY id
SELECT id FROM c20_r o WHERE ((1 / o.a) IS DISTINCT FROM 0) IN (SELECT true FROM c20_r i WHERE (1.5 < 1.5)) ORDER BY id
SELECT id FROM c20_r o WHERE (1 / o.a) NOT IN (SELECT 1 FROM c20_r i WHERE false) ORDER BY id
SELECT count(*) FROM c20_r WHERE (array_position('{1,2}'::int[], 0) < (1 / a))
SELECT id, (n + position(NULL::text in 'a b')) + (1 / a) FROM c20_r ORDER BY id
SELECT id, a = scale('NaN'::numeric), split_part('abc', ',', 0) FROM c20_r ORDER BY id
SELECT id FROM c20_r WHERE 0 IN (1 / a, 0) ORDER BY id
SELECT count(*) FROM c20_r WHERE 0 IN (0, (1e308::float8)::int8)
SELECT id, a IN (5, 1 / a, NULL) FROM c20_r ORDER BY id
SELECT id, (NULL::int[] @> ARRAY[0, 1 / a]), ('{1}'::int[] && ARRAY[1 / a]) IS NULL FROM c20_r WHERE a <> 0 ORDER BY id
SELECT id, (NULL::int[] @> ARRAY[0, 1 / a]) FROM c20_r ORDER BY id
SELECT id, (interval '1 day' * (1 / a)) >= justify_hours(NULL::timestamp - timestamp '2024-10-27 01:30:00') FROM c20_r ORDER BY id
