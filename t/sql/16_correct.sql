-- Wrong answers found by sqlfuzz and by users (issue 16), compared with PostgreSQL 15 by
-- t/053_pg_examples.pl: one statement per line.
SET TimeZone = 'America/New_York'
SELECT age('infinity'::timestamp, timestamp '2020-01-01'), age(timestamp '2000-02-29', 'infinity'::timestamp), age('infinity'::timestamp, 'infinity'::timestamp)
SELECT age('infinity'::timestamptz, timestamptz '2020-01-01 00:00+00')
SELECT age(timestamp '2020-01-01', '-infinity'::timestamp)
SELECT age('-infinity'::timestamptz, '-infinity'::timestamptz)
SET TimeZone = 'UTC'
CREATE TABLE c16_dt (id int PRIMARY KEY, d date, t timestamp, tz timestamptz)
INSERT INTO c16_dt VALUES (1, '10000-01-01', '10000-01-01 10:00', '10000-01-01 10:00+00'), (2, '9999-12-31', '9999-12-31 23:00', '9999-12-31 23:00+00'), (3, '0044-03-15 BC', '0044-03-15 12:00 BC', '0044-03-15 12:00+00 BC'), (4, '0001-01-01', '0001-01-01', '0001-01-01+00'), (5, '0100-01-01 BC', '0100-01-01 BC', '0100-01-01+00 BC'), (6, NULL, 'infinity', '-infinity'), (7, '-infinity', '-infinity', 'infinity')
CREATE INDEX c16_dt_d ON c16_dt (d)
SELECT id, d FROM c16_dt ORDER BY d, id
SELECT id, t FROM c16_dt ORDER BY t DESC, id
SELECT id, tz FROM c16_dt ORDER BY tz NULLS FIRST, id
SELECT min(d), max(d), min(t), max(t), min(tz), max(tz) FROM c16_dt
SELECT id FROM c16_dt WHERE d < '0001-01-01' ORDER BY id
SELECT id FROM c16_dt WHERE d BETWEEN '0050-01-01 BC' AND '9999-12-31' ORDER BY id
SELECT id FROM c16_dt WHERE t > timestamp '9999-12-31 23:00' ORDER BY id
SELECT id FROM c16_dt WHERE tz = timestamptz '0044-03-15 12:00+00 BC' ORDER BY id
SELECT d + 1 AS x FROM c16_dt ORDER BY x DESC
SELECT max(t + interval '1 day'), min(tz - interval '1 day'), count(DISTINCT d) FROM c16_dt WHERE d < '0001-01-01'
SELECT DISTINCT date_trunc('year', t) AS y FROM c16_dt ORDER BY y
SELECT d FROM c16_dt UNION SELECT '0200-01-01 BC'::date ORDER BY 1
SELECT date '10000-01-01' > date '9999-01-01', date '0044-03-15 BC' < date '0001-01-01', timestamp '0001-01-01 BC' < timestamp '0001-01-01'
SELECT id, rank() OVER (ORDER BY t) FROM c16_dt ORDER BY id
CREATE TABLE c16_fa (x int, y int)
CREATE TABLE c16_fb (x int, y int)
INSERT INTO c16_fa VALUES (1, 1), (2, 5)
INSERT INTO c16_fb VALUES (1, 2), (3, 3)
SELECT * FROM c16_fa a FULL JOIN c16_fb b ON a.x < b.x ORDER BY 1, 2, 3, 4
SELECT * FROM c16_fa a FULL JOIN c16_fb b ON a.x = b.x OR a.y = b.y ORDER BY 1, 2, 3, 4
SELECT * FROM c16_fa a FULL JOIN c16_fb b ON a.x = 1 ORDER BY 1, 2, 3, 4
SELECT * FROM c16_fa a FULL JOIN c16_fb b ON a.x IS DISTINCT FROM b.x ORDER BY 1, 2, 3, 4
SELECT * FROM c16_fa a FULL JOIN c16_fb b ON a.x = b.x + random() ORDER BY 1, 2, 3, 4
SELECT * FROM c16_fa a FULL JOIN c16_fb b ON a.x = b.x AND a.y > 1 ORDER BY 1, 2, 3, 4
SELECT * FROM c16_fa a FULL JOIN c16_fb b ON a.x + 1 = b.x ORDER BY 1, 2, 3, 4
SELECT * FROM c16_fa a FULL JOIN c16_fb b ON true ORDER BY 1, 2, 3, 4
SELECT * FROM c16_fa a FULL JOIN c16_fb b ON false ORDER BY 1, 2, 3, 4
SELECT * FROM c16_fa a FULL JOIN c16_fb b ON coalesce(a.x, 0) = b.x AND 1 = 1 ORDER BY 1, 2, 3, 4
CREATE TABLE c16_jb (id int PRIMARY KEY, j jsonb)
INSERT INTO c16_jb VALUES (1, '{"a":1, "b":2}'), (2, '{"b":2,"a":1}'), (3, '1.0'), (4, '1'), (5, '[1.50]'), (6, '[1.5]'), (7, '{"a":1.0}'), (8, '{"a":1}'), (9, '[]'), (10, '"x"'), (11, 'null'), (12, 'true'), (13, '[1,2]'), (14, '{"aa":1}'), (15, '{"b":[1]}'), (16, '{"b":{}}'), (17, '["a"]'), (18, '[null]'), (19, '2'), (20, '"é"'), (21, NULL)
SELECT count(DISTINCT j), count(*) FROM c16_jb
SELECT j, count(*) FROM c16_jb GROUP BY j ORDER BY 1
SELECT DISTINCT j FROM c16_jb ORDER BY 1 DESC
SELECT id FROM c16_jb ORDER BY j, id
SELECT id FROM c16_jb WHERE j = '1' ORDER BY id
SELECT id FROM c16_jb WHERE j = '{"a": 1}'::jsonb ORDER BY id
SELECT id FROM c16_jb WHERE j > '[1, 2]' ORDER BY id
SELECT '1.0'::jsonb = '1'::jsonb, '{"a":1}'::jsonb < '{"a":2}'::jsonb, '[1]'::jsonb > '1'::jsonb, '[]'::jsonb < '1'::jsonb, '{"a":1}'::jsonb IN ('{"a":1.00}'::jsonb)
SELECT DISTINCT j -> 'a' FROM c16_jb ORDER BY 1
SELECT count(*) FROM (SELECT j FROM c16_jb UNION SELECT '1.000'::jsonb UNION SELECT '{"a": 1.00, "b": 2}') s
CREATE TABLE c16_up (id int PRIMARY KEY, x int)
INSERT INTO c16_up VALUES (1, 1), (2, 2), (3, 3), (4, 4)
UPDATE c16_up SET x = (SELECT sum(x) FROM c16_up u2 WHERE u2.id < c16_up.id)
SELECT * FROM c16_up ORDER BY id
UPDATE c16_up SET x = x + 10 WHERE x < (SELECT avg(x) FROM c16_up u3 WHERE u3.id >= c16_up.id)
SELECT * FROM c16_up ORDER BY id
UPDATE c16_up SET x = (SELECT max(x) FROM c16_up) + id
SELECT * FROM c16_up ORDER BY id
UPDATE c16_up SET (x) = (SELECT count(*) FROM c16_up u4 WHERE u4.x < c16_up.x)
SELECT * FROM c16_up ORDER BY id
DELETE FROM c16_up WHERE x > (SELECT min(x) FROM c16_up u5 WHERE u5.id < c16_up.id)
SELECT * FROM c16_up ORDER BY id
SELECT '[' || to_char(7, 'B') || ']', '[' || to_char(0, 'B') || ']', '[' || to_char(-7, 'B') || ']', '[' || to_char(7, 'BS') || ']', '[' || to_char(-7, 'BFM') || ']', '[' || to_char(7.5, 'BV') || ']'
SELECT '[' || to_char(-7, 'PR') || ']', '[' || to_char(-7, 'B,') || ']', '[' || to_char(-7, 'Bx') || ']', '[' || to_char(-7, 'B.') || ']', '[' || to_char(-7, 'MI') || ']', '[' || to_char(-7, 'SG') || ']'
SELECT '[' || to_char(7, 'L') || ']', '[' || to_char(-7, 'L9') || ']', '[' || to_char(-7, '9L') || ']', '[' || to_char(7, 'FML9') || ']'
SELECT '[' || to_char(0, 'B.9') || ']', '[' || to_char(0, '.99') || ']', '[' || to_char(0.25, 'FM.99') || ']', '[' || to_char(12345.678, '9,9') || ']'
SELECT '{"a":1,"a":2}'::json -> 'a', '{"a":1,"a":2}'::json ->> 'a', '{"a":1,"a":2}'::json #> '{a}', json_extract_path('{"a":1,"a":2}'::json, 'a')
SELECT j ->> 0 < 'm', j::text, d::text FROM (VALUES ('"b"'::jsonb, date '2024-01-01'), ('"a"', date '0044-01-01 BC'), ('null', date '2023-05-05')) v(j, d) ORDER BY j::text
SELECT '%' BETWEEN '%' AND ('null'::jsonb)::text, (jsonb_build_object('k', 1.50))::text < '{"k": 1}', d::text < '1000' FROM c16_dt ORDER BY id
SELECT round(3), trunc(3), floor(3), ceil(3), ceiling(3::int8), round(2.5::int2), ceil(3.4e38::real), floor(-2.5::real), trunc(7)
SELECT -(0::float8), -('NaN'::float8), -(1.5::real), -('-Infinity'::real), (-('NaN'::float8))::text, (-(0::float8))::text
CREATE TABLE c16_arr (id int PRIMARY KEY, a int[], b text[], n numeric[])
INSERT INTO c16_arr VALUES (1, '{10}', '{b}', '{1.50}'), (2, '{9}', '{a,b}', '{1.5}'), (3, '{}', '{}', '{}'), (4, '{1,2}', '{"",NULL}', '{-1}'), (5, '{1,NULL}', '{"a b","日本"}', '{NULL}'), (6, NULL, '{Z}', NULL), (7, '{1}', '{b,a}', '{10,2}'), (8, '{-5,3}', '{a}', '{9.9}')
SELECT id, a::text, b::text FROM c16_arr ORDER BY a, id
SELECT id FROM c16_arr ORDER BY b DESC, id
SELECT max(a)::text, min(a)::text, max(b)::text, min(b)::text, count(DISTINCT n) FROM c16_arr
SELECT '{}'::int[] >= '{1,2}'::int[], '{1,2}'::int[] = '{1, 2}', '{10}'::int[] > '{9}'::int[], ARRAY[1.0,2] = ARRAY[1,2.00], ARRAY['b'] > ARRAY['a','z']
SELECT a::text FROM (SELECT DISTINCT a FROM c16_arr) s ORDER BY a DESC
SELECT a::text, count(*) FROM (SELECT a FROM c16_arr UNION ALL SELECT '{1,2}') s GROUP BY a ORDER BY a
SELECT id FROM c16_arr WHERE a > '{1}' ORDER BY id
CREATE TABLE c16_ch (id int PRIMARY KEY, c char(4))
INSERT INTO c16_ch VALUES (1, 'ab'), (2, ' a'), (3, ''), (4, NULL), (5, '日本')
SELECT id, '[' || ltrim(c) || ']', '[' || btrim(c, 'a') || ']', '[' || right(c, -1) || ']', length(c), upper(c), '[' || rpad(c, 6, '*') || ']', octet_length(c), '[' || concat(c, 'x') || ']', '[' || (c || 'x') || ']' FROM c16_ch ORDER BY id
SELECT DISTINCT ltrim(c) FROM c16_ch ORDER BY 1
SELECT upper('ü é ÄÖÜ abc ß ǆ'), lower('ÄÖÜ É ABC Σ'), initcap('hello wORLD ünd éa-b 日本語 x1y'), upper(NULL), initcap(''), upper('ⓐ')
SELECT DISTINCT upper(c) FROM c16_ch ORDER BY 1
INSERT INTO c16_arr VALUES (9, '{}', '{""}', '{}'), (10, '{}', '{"",""}', '{}')
SELECT x::text FROM (SELECT DISTINCT (b || ARRAY['']) AS x FROM c16_arr WHERE b IS NOT NULL) s ORDER BY x DESC
SELECT id FROM c16_arr ORDER BY b, id
SELECT count(*) FROM c16_jb WHERE j::text = '' OR j = '""'
SELECT timestamp '2024-03-10 02:30:00' + age('infinity'::timestamp, timestamp '2000-02-29')
SELECT timestamptz '2024-03-10 02:30:00+00' + age('infinity'::timestamp, timestamp '2000-02-29')
SELECT timestamp '294276-12-01' + interval '1 month'
SELECT -2147483648, -2147483648 + 0::int8, 2147483648, -2147483649, -(2147483648), -2147483648::int8
SELECT abs(-2147483648)
SELECT -2147483648 - 1
SELECT (0.5::real)::int8, (2.5::float8)::int8, (3.5::float8)::int, (-2.5::float8)::int2, 2.5::int, '2.5'::numeric::int, 3.5::numeric::int8, (1.5::float8)::int, (2.5::float4)::int
-- a condition that is not boolean is 42804 naming its clause, as PostgreSQL
SELECT 1 WHERE 1
SELECT 1 OR true
SELECT NOT 1
SELECT CASE WHEN 1 THEN 2 END
SELECT 1 HAVING 2
SELECT * FROM (SELECT 1 a) x JOIN (SELECT 1 b) y ON 1
SELECT count(*) FILTER (WHERE 1) FROM (SELECT 1) s
SELECT 1 WHERE 't'
SELECT 1 WHERE NULL
SELECT NULL OR true
SELECT 1 WHERE 't'::text
