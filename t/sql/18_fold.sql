-- pg_typeof and type names in messages as format_type spells them, strict
-- operators and functions of a NULL constant, and float negative zero (issue
-- 16), compared with PostgreSQL 15 by t/053_pg_examples.pl: one statement per line.
SELECT pg_typeof(1), pg_typeof(2::int8), pg_typeof(3::int2), pg_typeof(1.5::float8), pg_typeof(1.5::real), pg_typeof(1.5), pg_typeof(true)
SELECT pg_typeof(ARRAY[1]), pg_typeof(ARRAY[1.5]), pg_typeof(ARRAY['a'::varchar]), pg_typeof('{}'::text[]), pg_typeof(ARRAY[true])
SELECT pg_typeof('a'::varchar(3)), pg_typeof('a'::char(3)), pg_typeof('a'::text), pg_typeof('1'::"char"), pg_typeof('1'::jsonb), pg_typeof(1::oid)
SELECT pg_typeof(now()), pg_typeof(now()::timestamp), pg_typeof(now()::time), pg_typeof(date '2024-01-01'), pg_typeof(interval '1 day')
SELECT pg_typeof(sum(x)), pg_typeof(avg(x)), pg_typeof(count(x)) FROM (VALUES (1), (2)) v(x)
SELECT pg_typeof(pg_typeof(1))
CREATE TABLE f18_n (id int PRIMARY KEY, c numeric, b float8, x int)
INSERT INTO f18_n VALUES (1, 0, 0, 1), (2, 0, -0.0, 0)
SELECT id, div(-2.25, c) + NULL::int, NULL + div(-2.25, c), pg_typeof(div(-2.25, c) + NULL::int) FROM f18_n ORDER BY id
SELECT id, (1 / x) > NULL, NULL::int * -(1 / x), (1.5::float8 / b) - NULL::float8 FROM f18_n ORDER BY id
SELECT id FROM f18_n WHERE (1 / x) = NULL::int IS NULL ORDER BY id
SELECT id, (1 / x) IN (SELECT x FROM f18_n WHERE false), (1.5::float8 / b) NOT IN (SELECT b FROM f18_n i WHERE i.id > 5) FROM f18_n ORDER BY id
SELECT id FROM f18_n o WHERE (1.5::float8 / o.b) IN (SELECT 1.5::float8 FROM f18_n i WHERE i.id = o.id + 10) ORDER BY id
SELECT (1 / 0) + NULL::int
SELECT (1 / x) IN (SELECT x FROM f18_n) FROM f18_n
SELECT ('-0'::float8)::text, ('-0'::real)::text, ARRAY['-0'::float8]::text, (-0.0::float8)::text, (0 * -1.0::float8)::text, ('-0'::float8)::numeric
SELECT round(-0.5::real)::text, round(-0.4::float8)::text, trunc(-0.5::float8)::text, ceil(-0.5::float8)::text, round(-0.5::numeric), round(-0.5), trunc(-0.4)
SELECT id, (- b)::text, (-(b::real))::text FROM f18_n ORDER BY id
SELECT DISTINCT ('-0'::float8)::text FROM f18_n ORDER BY 1
SELECT id, (NULL::int[] || ARRAY[x])::text, (ARRAY[x] || NULL::int[])::text FROM f18_n ORDER BY id
SELECT id, (1 / x) < (NULL::int * 0), (1 / x) + (NULL + 1)::numeric, -(NULL::int) + 1 / x, (NULL::int * x) + (1 / x) FROM f18_n ORDER BY id
SELECT ((c * 3) < (NULL::int * 0)) AS g, count(*) FROM f18_n GROUP BY 1 ORDER BY 1
SELECT (1 / x) < (NULL::int + 1 / 0) FROM f18_n
SELECT id, div(1 / x, NULL), mod(NULL::int, 1 / x), abs(NULL::int) + 1 / x, round((1 / x)::numeric, NULL), lpad(NULL, 1 / x), length(NULL::text) FROM f18_n ORDER BY id
SELECT id, pg_typeof(div(c, NULL)), pg_typeof(abs(NULL::int)) FROM f18_n ORDER BY id
SELECT div(1 / 0, NULL)
CREATE SEQUENCE f18_s
SELECT id, (x * 2) IN (SELECT nextval('f18_s') FROM f18_n i WHERE i.id = 1) FROM f18_n ORDER BY id -- shard
SELECT nextval('f18_s') -- shard
