-- Wrong answers of issue 16 fixed: aggregates beside a NULL constant, HAVING
-- without GROUP BY, float -0 and NaN, AT TIME ZONE, polymorphic unknowns;
-- compared with PostgreSQL 15 by t/053_pg_examples.pl: one statement per line.
CREATE TABLE c19_z (id int PRIMARY KEY, x int, f float8, r real)
INSERT INTO c19_z VALUES (1, 0, '-0', '-0'), (2, 1, 'NaN', 'NaN'), (3, NULL, 1.5, 1.5)
SELECT sum(1 / x) + NULL FROM c19_z
SELECT sum(1 / x) + NULL, count(*), NULL * max(1 / x), min(1 / x) - NULL::int FROM c19_z
SELECT x, max(1 / x) + NULL FROM c19_z GROUP BY x ORDER BY x
SELECT mod(sum(1 / x), NULL), abs(NULL::int) + count(1 / x) FROM c19_z
SELECT sum(1 / x) FILTER (WHERE 1 / x > 0) * NULL FROM c19_z
SELECT count(*) + NULL FROM c19_z WHERE false
SELECT sum(1 / 0) + NULL FROM c19_z
SELECT sum(1 / x) IN (SELECT 1 WHERE false) FROM c19_z
SELECT 1 FROM c19_z HAVING sum(1 / x) + NULL IS NULL
SELECT 1 AS k FROM c19_z HAVING sum(x) > 0
SELECT 1 AS k, count(*) FROM c19_z HAVING count(*) > 1
SELECT 'one' FROM c19_z HAVING true
SELECT x FROM c19_z HAVING true
SELECT x + 1 FROM c19_z HAVING min(x) >= 0
CREATE TABLE c19_f (id int PRIMARY KEY, x int, f float8, r real)
INSERT INTO c19_f VALUES (1, 0, '-0', '-0'), (2, 1, 'NaN', 'NaN'), (3, NULL, 1.5, 1.5), (4, 2, -0.0, 'Infinity'), (5, 3, 1, 2), (6, 4, 1e308, '-Infinity')
INSERT INTO c19_f SELECT 7, 5, x, x FROM c19_f WHERE id = 5
SELECT id, f, r, -f, f::text, r::text, f / 2, pg_typeof(f) FROM c19_f ORDER BY id
SELECT sum(f), sum(r), avg(f), min(f), max(f), sum(f)::text FROM c19_f WHERE id = 1
SELECT stddev(f), variance(f), avg(f), stddev_pop(f), var_samp(r), avg(r), sum(r), var_pop(f) FROM c19_f
SELECT stddev(f), variance(f), avg(f), stddev_pop(f), var_samp(r), avg(r), sum(r), sum(f) FROM c19_f WHERE id NOT IN (2, 6)
SELECT avg(f) FROM c19_f WHERE id IN (5, 6)
SELECT sum(f) FROM (SELECT f FROM c19_f WHERE id = 6 UNION ALL SELECT f FROM c19_f WHERE id = 6) s
SELECT variance(f) FROM (SELECT f FROM c19_f WHERE id = 6 UNION ALL SELECT f FROM c19_f WHERE id = 6) s
SELECT id, avg(r) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), sum(f) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM c19_f ORDER BY id
SELECT avg(f) FILTER (WHERE id < 4), avg(x), avg(r), pg_typeof(avg(r)) FROM c19_f
SELECT corr(f, r), covar_pop(f, x), regr_slope(x, f) FROM c19_f
SELECT f, count(*) FROM c19_f GROUP BY f ORDER BY f
SELECT DISTINCT f FROM c19_f ORDER BY 1
SELECT id FROM c19_f WHERE f = 0 ORDER BY id
SELECT 9223372036854775807::float8 = 9223372036854775806::float8, -0.0, (-0.0)::float8, (-0.0)::real, -0.0::float8, (0.0 * -1)::float8
SELECT to_jsonb('abc')
SELECT to_json('日本')::jsonb
SELECT to_jsonb(NULL)
SELECT to_json('a'::text), to_jsonb(1), json_build_array('a'), jsonb_build_array('a', NULL)
SELECT stddev_pop(f), sum(f) FROM c19_f WHERE id IN (1, 2, 6, 7)
SELECT count(*) FROM c19_z WHERE (((1.5 % (x - x)) > 1.5) > ((NULL::timestamp AT TIME ZONE 'America/New_York') < timestamptz '2024-10-27 01:30:00+00'))
SELECT (((NULL::timestamptz AT TIME ZONE 'UTC') - (timestamp '2024-03-10 02:30:00' - ('infinity'::date + x * interval '1 month'))) AT TIME ZONE 'America/New_York') FROM c19_z ORDER BY id
SELECT extract(epoch FROM NULL::timestamp) + 1 / x, NULL::int < (1 / x) + x, (1 / x) = NULL::int + int4 '2' FROM c19_z ORDER BY id
SELECT ('infinity'::timestamp - timestamp '2024-01-01') = NULL FROM c19_z
CREATE TABLE c19_t (id int PRIMARY KEY, c timestamptz)
INSERT INTO c19_t VALUES (1, '-infinity'), (2, '2024-03-10 02:30:00-05'), (3, NULL)
SELECT id, ((date '2024-03-10' + ((NULL::timestamptz)::timestamp)::time) - ((timestamp '2024-03-10 02:30:00' AT TIME ZONE 'America/New_York') - c)) FROM c19_t ORDER BY id
SELECT id, (timestamp 'infinity' AT TIME ZONE 'UTC') - c FROM c19_t ORDER BY id
CREATE TABLE c19_c (id int PRIMARY KEY, c char(4), v varchar(10), n int8, s int2)
INSERT INTO c19_c VALUES (1, '', 'a ', 0, 1), (2, 'ab', '', 7, 0), (3, NULL, 'x', NULL, -1), (4, ' a', NULL, 9223372036854775807, 7)
SELECT id, nullif(c, ''), nullif('', c), nullif(c, 'ab'::char(2)), nullif(v, ''), nullif(c, v), nullif(v, c) FROM c19_c ORDER BY id
SELECT id, pg_typeof(nullif(c, '')), pg_typeof(nullif(v, '')), pg_typeof(nullif(c, v::text)), pg_typeof(nullif(0, n)), pg_typeof(nullif(s, 0)), pg_typeof(nullif(n, 1.5)) FROM c19_c ORDER BY id
SELECT id, nullif(0, n), nullif(s, 0), nullif(n, 7), nullif(1.50, 1.5), nullif(date '2024-01-01', timestamp '2024-01-01 00:00') FROM c19_c ORDER BY id
SELECT id, translate(c, 'ab', 'xy'), substr(c, 1, 3), substr(c, -1, 3), split_part(c, ',', 1), starts_with('', c), substring(c FROM 1 FOR 4) FROM c19_c ORDER BY id
SELECT nullif(c, '') AS g, count(*) FROM c19_c GROUP BY 1 ORDER BY 1
SELECT DISTINCT nullif(c, '') FROM c19_c ORDER BY 1 DESC NULLS LAST
SELECT min(v), max(v), pg_typeof(min(v)), pg_typeof(max(c)) FROM c19_c
SELECT id, CASE WHEN false THEN c ELSE NULL::text END, pg_typeof(CASE WHEN false THEN c ELSE NULL::text END), pg_typeof(CASE WHEN id > 1 THEN v::text ELSE v END), CASE id WHEN 1 THEN 'one' WHEN 2 THEN c ELSE v END FROM c19_c ORDER BY id
SELECT pg_typeof(id + 1), pg_typeof(v || 'x'), pg_typeof(n * 2.5) FROM c19_c ORDER BY id
SELECT replace('', '', NULL) IS NULL, replace('abcabc', 'b', 'XY'), replace('abc', '', 'z'), replace('日本日本', '本', 'x'), replace('aaa', 'aa', 'b'), replace(v, '', NULL) FROM c19_c ORDER BY id
CREATE TABLE c19_d (id int PRIMARY KEY, a date, b timestamp)
INSERT INTO c19_d VALUES (1, '0001-01-01', '0001-01-01 10:00 BC'), (2, 'infinity', '2024-03-10 02:30'), (3, '-infinity', NULL), (4, '2000-02-29', '2000-02-28 23:00')
SELECT id, greatest(a - 3, a), least(a - 3, a), greatest(a, b), least(a, b), greatest(b, '0044-03-15 BC'::timestamp) FROM c19_d ORDER BY id
SELECT DISTINCT greatest(a - 1, a) FROM c19_d ORDER BY 1
SELECT id, coalesce(b, a), pg_typeof(coalesce(a, b)), CASE WHEN id > 2 THEN a ELSE b END FROM c19_d ORDER BY id
SELECT a FROM c19_d UNION SELECT b FROM c19_d ORDER BY 1
SELECT greatest('a'::char(3), 'a '::char(3)) || '|', least('b'::char(2), 'a '::char(3)) || '|'
SELECT ('NaN'::numeric)::int
SELECT ('Infinity'::numeric)::int8
SELECT ('-Infinity'::numeric)::int2
SELECT ('NaN'::float8)::int2
SELECT ('NaN'::real)::int8
SELECT (2.5::numeric)::int, (-2.5)::int8, 1e10::float8::int8, 3.5::real::int2, f::int FROM c19_f WHERE id IN (1, 3, 5) ORDER BY id
SELECT '{1,2}'::int[] = ARRAY[1::int8, 2]
SELECT '{1,2}'::int[] IN (ARRAY[1::int8, 2])
SELECT ARRAY[1, 2] <> '{1,2}'::int8[]
SELECT ARRAY[1, 2] IS DISTINCT FROM ARRAY[3::int8]
SELECT ARRAY['a'] = ARRAY['a'::varchar]
SELECT ARRAY[1, 2] = '{1,2}', ARRAY[1, 2] IN ('{1}', ARRAY[1, 2]), NULL::int[] = ARRAY[1], ARRAY[1] IN (ARRAY[1], NULL), 1 IN (1, 2.5)
CREATE TABLE c19_n (id int PRIMARY KEY, a numeric, c numeric(30,10), j jsonb)
INSERT INTO c19_n VALUES (1, 0, 0, '{"a":1,"b":2}'), (2, -0.0, 1.5, '1.0'), (3, 1.5, -1, '{"b":2, "a":1}'), (4, -1, 0.0000000001, '1')
SELECT x.id, y.id FROM c19_n x LEFT JOIN c19_n y ON x.c = y.a ORDER BY 1, 2
SELECT x.id, y.id FROM c19_n x, c19_n y WHERE x.a = y.c ORDER BY 1, 2
SELECT x.id, y.id FROM c19_n x JOIN c19_n y ON x.j = y.j ORDER BY 1, 2
SELECT x.id, y.id FROM c19_d x JOIN c19_d y ON x.a = y.b::date ORDER BY 1, 2
SELECT mod(7, 9223372036854775807), pg_typeof(mod(7, 9223372036854775807)), pg_typeof(mod(1::int2, 2)), pg_typeof(mod(s, n)), mod(s, n) FROM c19_c ORDER BY id
SELECT id, -c FROM c19_n ORDER BY -c, id
SELECT id, lag(id) OVER (ORDER BY -c, id) FROM c19_n ORDER BY id
SELECT -a, count(*) FROM c19_n GROUP BY 1 ORDER BY 1
SELECT id, @c, @a FROM c19_n ORDER BY @c DESC, id
SELECT @ 'NaN'::float8, @ -0.0::float8, @ -3::int2, pg_typeof(@ -3::int2), @ -2.50
SELECT @ -2147483648::int4
SELECT pg_typeof(coalesce('{}'::int[], ARRAY[0, 9223372036854775807])), coalesce(NULL::int[], ARRAY[0, 9223372036854775807])::text, pg_typeof(CASE WHEN true THEN ARRAY[1] ELSE ARRAY[2.5] END), pg_typeof(coalesce(ARRAY[1::int2], ARRAY[2]))
SELECT v::text FROM (SELECT ARRAY[1] AS v UNION SELECT ARRAY[2::int8]) s ORDER BY v
SELECT sum(DISTINCT f), avg(DISTINCT r), pg_typeof(sum(DISTINCT r)), sum(DISTINCT x), avg(DISTINCT x) FROM c19_f
SELECT avg(DISTINCT f) FROM c19_f
SELECT sum(DISTINCT f), avg(DISTINCT f) FROM c19_f WHERE id IN (1, 3, 4, 5)
SELECT sum(DISTINCT r), avg(DISTINCT r) FROM c19_f WHERE id <> 2
SELECT sqrt(0.1::float8)::numeric, 0.1::real::numeric, (1e20::float8)::numeric, 'NaN'::float8::numeric, '-0'::float8::numeric, 1.5::float8::numeric(5,2), 123456789.123456789::float8::numeric, (1e-20::float8)::numeric
SELECT id, f::numeric, r::numeric FROM c19_f WHERE id <> 6 ORDER BY id
SELECT array_length('{1}', 1)
SELECT cardinality('{1}')
SELECT array_to_string('{a,b}', ',')
SELECT array_upper(NULL, 1)
SELECT array_length('{1}'::int[], 1), cardinality(ARRAY[1, 2]), array_to_string(ARRAY['a', 'b'], ','), array_lower(ARRAY[1], 1)
