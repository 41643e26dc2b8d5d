-- Statements compared with PostgreSQL 15 by t/053_pg_examples.pl on one
-- dosql-shard and through a router: each must give PostgreSQL's rows, or
-- fail with PostgreSQL's SQLSTATE.  One statement per line; a statement
-- ending in "-- shard" runs on the shard only.
SELECT round(5e-16383, 16383) = 5e-16383
SELECT round(5e-16383, 1000000) = 5e-16383
SELECT trunc(5e-16383, 16383) = 5e-16383
SELECT trunc(5e-16383, 1000000) = 5e-16383
SELECT 1e-16384
SELECT 1e131072
SELECT length(1e131071::text)
SELECT 1e-16383 * 1e-5 = 0
SELECT mod(999999999999999999999::numeric, 1000000000000000000000)
SELECT round(-25::numeric, -1)
SELECT trunc(-25.59::numeric, 1), round(-25.5::numeric), trunc(123456, -3), round(123456, -1000000)
SELECT 'inf'::numeric - 'inf', 1 / 'inf'::numeric, 'inf'::numeric * 0, 'NaN'::numeric + 1
SELECT 7.0 / 2, 1::numeric / 3, 10::numeric / 4, 123456789.123 / 0.0007, 2::numeric / 3 * 3
SELECT 17.5 % 4, -17.5 % 4, mod(17.5, -4), mod(1, 'Infinity'::numeric), mod(2.5, 'NaN'::numeric)
SELECT mod(17, 0::numeric)
SELECT 1 / 0::numeric
SELECT 99999999999999999999999999.9 + 0.1, 1e100 / 3e-50
SELECT sum(x), avg(x) FROM (SELECT 1.5::numeric AS x UNION ALL SELECT 'NaN' UNION ALL SELECT 2) v
SELECT sum(x), avg(x) FROM (SELECT 'Infinity'::numeric AS x UNION ALL SELECT '-Infinity') v
SELECT 100000000000000000001 = 100000000000000000000, 1.50 = 1.5, 0.1 + 0.2 = 0.3
SELECT CASE 0.1 + 0.2 WHEN 0.3 THEN 'y' ELSE 'n' END, 2.50 * 1 IS DISTINCT FROM 2.5
SELECT greatest(1.50, 1.5, 0.2), least(NULL::numeric, 3.10, 12)
SELECT 'NaN'::numeric = 'NaN'::numeric, 'NaN'::numeric > 'Infinity'::numeric, 1.5 < 'NaN'::numeric
SELECT (-2147483648)::int4 / -1
SELECT (-9223372036854775808)::int8 / -1
SELECT (-32768)::int2 / (-1)::int2
SELECT (-2147483648)::int4 % -1, 7 / -1
SELECT true::text, false::varchar, NULL::bool::text, (1 < 2)::text || 'x'
SELECT round(5, 2), trunc(5, -1), round(5)
SELECT round(123.456::float8, 1)
SELECT min(r) >= 0 AND max(r) < 1 FROM (SELECT random() AS r FROM generate_series(1, 2000)) s
VALUES (1,2),(3,4+4),(7,77.7)
VALUES (1, 'a'), (2.5, NULL)
SELECT * FROM (VALUES (1), (2.25)) v ORDER BY 1
SELECT 1.1 UNION SELECT 2 ORDER BY 1
SELECT 1.1 AS v UNION ALL SELECT 2 UNION ALL SELECT 10.5 ORDER BY v DESC LIMIT 2
SELECT 'b' UNION SELECT 'a' ORDER BY 1
SELECT '["a","b"]'::jsonb || '["c"]'
SELECT '{"a":1,"b":2}'::jsonb || '{"b":3,"c":1.10}'::jsonb, '[1]'::jsonb || '{"a":1}'::jsonb, '{"a":1}'::jsonb || '[1]'::jsonb
SELECT '1'::jsonb || '2'::jsonb, '[]'::jsonb || '[]'::jsonb, '{}'::jsonb || '[]'::jsonb, '["a"]'::jsonb || 'c'::text
SELECT NULL < 1 * 2, NULL::int + 1
SELECT NULL < 1/0
SELECT interval '999' day, interval '3' year to month, interval '1 day 2 hours 3 minutes' day to hour, interval '5' minute
SELECT interval '1 year 2 months' year, interval '1.5' second(0)
SELECT '30 days'::interval = '1 month'::interval, '1 day'::interval < '25 hours'::interval, '1 mon'::interval IN ('30 days'::interval)
CREATE TABLE iv (id int, d interval) -- shard
INSERT INTO iv VALUES (1, '1 mon'), (2, '2 days'), (3, '40 days'), (4, '-1 year'), (5, '30 days') -- shard
SELECT id, d FROM iv ORDER BY d, id -- shard
SELECT id FROM iv ORDER BY d DESC, id -- shard
SELECT id FROM iv WHERE d = '30 days' ORDER BY id -- shard
SELECT id FROM iv WHERE d > '1 mon' ORDER BY id -- shard
SELECT d AS x FROM iv ORDER BY x, id -- shard
CREATE TABLE j1 (name text, a int) -- shard
CREATE TABLE j2 (name text, b int) -- shard
CREATE TABLE j3 (name text, c int) -- shard
INSERT INTO j1 VALUES ('x', 1), ('y', 2) -- shard
INSERT INTO j2 VALUES ('y', 3), ('z', 4) -- shard
INSERT INTO j3 VALUES ('z', 5), ('w', 6) -- shard
SELECT name, a, b FROM j1 FULL JOIN j2 USING (name) ORDER BY 1 -- shard
SELECT name, a, b FROM j1 RIGHT JOIN j2 USING (name) ORDER BY 1 -- shard
SELECT name, a, b, c FROM j1 FULL JOIN j2 USING (name) FULL JOIN j3 USING (name) ORDER BY 1 -- shard
SELECT * FROM j1 FULL JOIN j2 USING (name) ORDER BY 1 -- shard
SELECT name, a, b FROM j1 NATURAL FULL JOIN j2 ORDER BY 1 -- shard
SELECT j1.name, j2.name, name FROM j1 FULL JOIN j2 USING (name) ORDER BY 3 -- shard
SELECT x.id, y.d FROM iv x JOIN iv y ON x.id = y.id ORDER BY 2, 1 -- shard
SELECT x.d, y.d FROM iv x JOIN iv y ON x.id = y.id ORDER BY 2, 1 -- shard
SELECT x.id, y.d FROM iv x LEFT JOIN iv y ON x.id = y.id AND NULL::bool ORDER BY 1, 2 -- shard
SELECT substring('abcdefg' FROM 2 FOR 3), substring('abcdefg' FROM 'b.d')
CREATE TABLE tab1 (col0 int, col1 int)
INSERT INTO tab1 VALUES (1, 2), (3, NULL)
SELECT col0 FROM tab1 WHERE NULL < 1 * col1
SELECT col0 FROM tab1 WHERE col1 * 1 > NULL OR col0 = 3
SELECT -(-2147483648)::int4
SELECT -((-9223372036854775808)::int8)
SELECT -((-32768)::int2), -(-9223372036854775807)::int8, - 5, -(2)::int2, - 1.5, -(2.5::float8)
SELECT sum(x) FROM (SELECT 9223372036854775807::int8 AS x UNION ALL SELECT 1) s
SELECT sum(x) FROM (SELECT (-9223372036854775807)::int8 AS x UNION ALL SELECT -9223372036854775807) s
SELECT sum(x), sum(x::int8) FROM (SELECT 2147483647 AS x UNION ALL SELECT 2147483647) s
SELECT 1 AS x, 'a' AS y UNION ALL SELECT 2.5, 'b' UNION ALL SELECT 3::int8, NULL ORDER BY 1
SELECT 1 UNION SELECT 2.5 ORDER BY 1
SELECT 'Infinity'::float8 AS x UNION ALL SELECT '-Infinity' UNION ALL SELECT 1 ORDER BY 1
SELECT NULL UNION ALL SELECT 1.5 ORDER BY 1
SELECT 1 UNION SELECT '2' ORDER BY 1
SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 2.25) s ORDER BY x DESC
SELECT 'abcd'::text::char(3), 'abcd'::varchar(2), 12345::varchar(2), true::char(3)
SELECT 'héllo'::varchar(2), length('héllo'::char(3))
SELECT 'a'::varchar(0)
SELECT 'a'::char(0)
SELECT 'a'::varchar(10485761)
SELECT 'ab'::char(4) || '|', ''::char(2) = '', 'ab '::char(4) = 'ab'::char(2), 'a'::char(3) < 'b'::char(1)
SELECT 'ab'::char(4) = 'ab'::text, 'ab'::char(4) IN ('ab', 'x'), 'x' || 'ab'::char(4) || 'y'
select 'ab'::varchar = 'ab  '::char(4), 'ab '::varchar = 'ab'::char(4), 'ab '::text = 'ab'::char(4), 'ab '::varchar IN ('10', 'ab'::char(4))
SELECT abs((-2147483648)::int4)
SELECT abs((-9223372036854775808)::int8)
SELECT abs(-2.50), abs(-5), abs((-3)::int2), abs(-1.5::float8), abs('-Infinity'::numeric), abs(NULL::int), abs(-0.0)
-- numeric values equal but shown with other scales are one value wherever
-- values are compared: subquery outputs, IN (subquery), set operations
CREATE TABLE nq_eq (x numeric, y numeric(10,2), z text)
INSERT INTO nq_eq VALUES (1.5, 1.5, 'a'), (1.50, 1.50, 'b'), (2, 2, 'c'), (2.000, 2, 'd')
SELECT count(*) FROM (SELECT 1.5 AS a UNION ALL SELECT 1.50) s1 JOIN (SELECT 1.500 AS b) s2 ON a = b
SELECT a = b FROM (SELECT 1.5 AS a) s1, (SELECT 1.500 AS b) s2
SELECT a FROM (SELECT 1.5 AS a UNION ALL SELECT 1.50) s WHERE a = 1.500 ORDER BY a
SELECT a FROM (SELECT 1.5 AS a UNION ALL SELECT 1.50) s WHERE a IN (SELECT 1.500) ORDER BY a
SELECT z FROM nq_eq WHERE x IN (SELECT y * 1 FROM nq_eq WHERE z > 'b') ORDER BY 1
SELECT z FROM nq_eq WHERE x NOT IN (SELECT NULL::numeric UNION ALL SELECT 7) ORDER BY 1
SELECT 'a '::char(3) IN (SELECT 'a'::char(5)), 3 IN (SELECT 3.0)
SELECT count(*) FROM (SELECT 1.5 UNION SELECT 1.50) s
SELECT count(*) FROM (SELECT 1.5 INTERSECT SELECT 1.50) s
SELECT count(*) FROM (SELECT 1.5 EXCEPT SELECT 1.50) s
SELECT * FROM (SELECT 1.5 AS a UNION SELECT 1.50 UNION SELECT 2 UNION SELECT 2.00) s ORDER BY 1
SELECT count(*) FROM (SELECT y * 1 AS v FROM nq_eq UNION SELECT y * 10 / 10 FROM nq_eq) s
SELECT count(*) FROM (SELECT y FROM nq_eq UNION SELECT y * 1 FROM nq_eq) s
SELECT count(*) FROM (SELECT x FROM nq_eq INTERSECT SELECT y FROM nq_eq) s
SELECT y FROM nq_eq UNION SELECT 1.5 ORDER BY 1
SELECT 1 UNION SELECT 1.0
-- INTERSECT ALL and EXCEPT ALL
SELECT y FROM nq_eq EXCEPT ALL SELECT 1.5 ORDER BY 1
SELECT * FROM (SELECT 1 AS a, 'x' AS b UNION ALL SELECT 1, 'x' UNION ALL SELECT 2, 'y') s INTERSECT ALL SELECT 1, 'x' ORDER BY 1
SELECT * FROM (SELECT 1 AS a UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) s EXCEPT ALL SELECT 1 ORDER BY 1
SELECT a, a FROM (SELECT 1 AS a) s INTERSECT ALL SELECT 1, 1
-- intervals of one length are one value in set operations ('1 day' =
-- '24:00:00', '30 days' = '1 mon'), ordered by length
SELECT '1 day'::interval UNION SELECT '24 hours'::interval
SELECT '1 day'::interval AS i UNION SELECT '24 hours'::interval UNION SELECT '1 mon' UNION SELECT '30 days' ORDER BY 1
SELECT '30 days'::interval INTERSECT SELECT '1 mon'::interval
SELECT count(*) FROM (SELECT '30 days'::interval EXCEPT SELECT '1 mon'::interval) s
SELECT 1, '2 days'::interval UNION SELECT 1, '48:00:00'::interval UNION SELECT 2, '1 day' ORDER BY 1, 2
SELECT '-1 day'::interval UNION SELECT '-24 hours' UNION SELECT '1 day' UNION SELECT NULL ORDER BY 1
-- substr and substring count as PostgreSQL: a start before the first
-- character, a negative length (22011); bytea by its bytes
SELECT substr('abcdef', -1), substr('abcdef', -1, 3), substring('abcdef' from -1 for 3), substr('abcdef', 0, 2), substr('abcdef', 3), substr('abcdef', 7), substr('héllo', 2, 2)
SELECT substr('abcdef', 2, -1)
SELECT substr('\x0102ff'::bytea, 2), substr('\x0102ff'::bytea, 0, 2), substr('\x0102ff'::bytea, 7), substring('\x0102ff'::bytea from 2 for 1), pg_typeof(substr('\x01'::bytea, 1))
SELECT ltrim('\x0102ff'::bytea, '\x01'::bytea), rtrim('\x0102ff'::bytea, '\xff'::bytea), btrim('\x0102ff01'::bytea, '\x01'::bytea), trim(both '\x01'::bytea from '\x0102ff01'::bytea)
SELECT '\x0102ff'::bytea || '\x02'::bytea, '\x00'::bytea || '\x00'::bytea, pg_typeof('\x01'::bytea || '\x02'::bytea)
SELECT string_agg(x, '\x02'::bytea) FROM (SELECT '\x0102ff'::bytea AS x UNION ALL SELECT '\x00'::bytea) v
SELECT length('\x0102'::bytea), octet_length('\x0102'::bytea), md5('\x0102'::bytea)
-- round(double precision) rounds half to even, round(numeric) away from zero
SELECT round(2.5::float8), round(-2.5::float8), round(3.5::float8), round(0.5::float4), round(2.5), round(-2.5)
SELECT - 'abc'::text
SELECT sum('abc'::text)
SELECT count()
SELECT sqrt(2), power(2, 3), sqrt(2.5::float8)
-- numeric columns keep every digit and their display scale; an integer
-- into numeric(p,s) takes its scale and is checked against its precision
CREATE TABLE nq_exact (x numeric, y numeric(30,4), z numeric(5,2))
INSERT INTO nq_exact VALUES (1.50, 123456789012345678901234.5678, 40), (123456789012345678901234.5678, 1.5, -5), (0.000000000000000000001, -0.5, 7.1), (2, 2, 0)
INSERT INTO nq_exact (z) VALUES (123456789)
INSERT INTO nq_exact (z) VALUES (1000)
UPDATE nq_exact SET z = 8 WHERE z = 7.1
SELECT x, y, z FROM nq_exact ORDER BY x
SELECT x * 2, x + 1, y - 1, -x, -z FROM nq_exact ORDER BY 1
SELECT sum(x), max(x), min(y), sum(z) FROM nq_exact
SELECT nullif(z, 1.5) AS v FROM nq_exact ORDER BY v
SELECT x FROM nq_exact WHERE x = 1.5 OR x = 123456789012345678901234.5678 ORDER BY 1
SELECT floor(x), ceil(x), floor(-x), ceil(y), floor(z) FROM nq_exact ORDER BY 1
SELECT floor('NaN'::numeric), ceil('Infinity'::numeric), -('NaN'::numeric), -(0.00), floor(-2.5), ceil(-2.5), floor(2.5::float8), ceil(7)
SELECT floor(99999999999999999999.5), ceil(99999999999999999999.5)
-- the time of an infinite timestamp is NULL; jsonb element 0 or -1 of a
-- scalar is the scalar
SELECT ('infinity'::timestamp)::time IS NULL, ('-infinity'::timestamptz)::time IS NULL, (timestamp '2024-01-01 10:00')::time, time '12:00' - ('infinity'::timestamp)::time
SELECT to_jsonb('abc'::text) -> 0, '"abc"'::jsonb ->> -1, '5'::jsonb -> 1, '"abc"'::json -> 0, '[1,2]'::jsonb -> 0
-- to_char(interval) refuses fields an interval has not; B and C print
-- nothing in a number's format; a date read without a year is in 1 BC
SELECT to_char(interval '1 day 02:00', 'Day')
SELECT to_char(interval '1 day 02:00', 'DD HH24:MI'), to_char(interval '1 day 02:00', 'MM')
SELECT to_char(7, 'b9'), to_char(7, 'abcdef'), to_char(7, 'ab9'), to_char(2.5, 'abcdef'), to_char(2.5::float8, 'abcdef')
SELECT to_date('abcdef', 'b'), to_timestamp('03-04', 'MM-DD')
-- double precision NaN through abs, round, trunc, floor, ceil and sqrt;
-- sqrt of a negative number is 2201F
SELECT floor('NaN'::float8), ceil('NaN'::float8), round('NaN'::float8), trunc('NaN'::float8), abs('NaN'::float8), sqrt(abs('NaN'::float8)), sqrt('Infinity'::float8), sqrt(2.25::float8), round(-3.5::float8)
SELECT sqrt(-1)
-- double precision arithmetic as PostgreSQL's: NaN in and out, 22003 on
-- overflow and underflow, 22012 for a zero divisor of a number
SELECT 1e308::float8 * 10
SELECT 1e-300::float8 * 1e-300::float8
SELECT 3.4e38::float4 * 10::float4
SELECT 'Infinity'::float8 - 'Infinity'::float8, 'NaN'::float8 / 0, 'NaN'::float8 - 1.5::float8, 1.5::float8 - 'NaN'::float8, 'NaN'::float8 * 0, 0.1::float8 + 0.2::float8, 1.5::float4 * 2::float4, 7::float8 / 2, 'Infinity'::float8 * 0
SELECT 1.5::float8 / 0
