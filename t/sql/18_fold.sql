-- pg_typeof and type names in messages as format_type spells them, strict
-- operators and functions of a NULL constant, and float negative zero (issue
-- 16), compared with PostgreSQL 15 by t/053_pg_examples.pl: one statement per line.
SELECT pg_typeof(1), pg_typeof(2::int8), pg_typeof(3::int2), pg_typeof(1.5::float8), pg_typeof(1.5::real), pg_typeof(1.5), pg_typeof(true)
SELECT pg_typeof(ARRAY[1]), pg_typeof(ARRAY[1.5]), pg_typeof(ARRAY['a'::varchar]), pg_typeof('{}'::text[]), pg_typeof(ARRAY[true])
SELECT pg_typeof('a'::varchar(3)), pg_typeof('a'::char(3)), pg_typeof('a'::text), pg_typeof('1'::"char"), pg_typeof('1'::jsonb), pg_typeof(1::oid)
SELECT pg_typeof(now()), pg_typeof(now()::timestamp), pg_typeof(now()::time), pg_typeof(date '2024-01-01'), pg_typeof(interval '1 day')
SELECT pg_typeof(sum(x)), pg_typeof(avg(x)), pg_typeof(count(x)) FROM (VALUES (1), (2)) v(x)
SELECT pg_typeof(pg_typeof(1))
