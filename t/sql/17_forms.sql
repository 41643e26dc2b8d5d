-- Statement forms (issue 17) compared with PostgreSQL 15 by t/053:
-- set-returning functions in FROM that read the FROM items before them
-- (LATERAL), json(b)_to_record(set) with a column definition list.  One
-- statement per line.
CREATE TABLE f17_lat (id int, n int)
INSERT INTO f17_lat VALUES (1, 1), (2, 3), (3, 0)
SELECT l.id, g FROM f17_lat l, generate_series(1, l.n) g ORDER BY 1, 2
SELECT l.id, g.x, g.o FROM f17_lat l, LATERAL generate_series(1, n) WITH ORDINALITY g(x, o) ORDER BY 1, 2
SELECT l.id, g FROM f17_lat l LEFT JOIN LATERAL generate_series(2, l.n) g ON true ORDER BY 1, 2
SELECT count(*) FROM f17_lat a CROSS JOIN LATERAL generate_series(1, a.n) g
SELECT * FROM (VALUES (1)) x(lb), LATERAL generate_series(lb, 4) x4 ORDER BY 2
SELECT l.id, u, u.ordinality FROM f17_lat l, unnest(ARRAY[l.id, l.n * 10]) WITH ORDINALITY u ORDER BY 1, 3
SELECT sum(g) FROM f17_lat l, generate_series(l.id, l.n, 2) g
SELECT * FROM json_to_record('{"a":1,"b":"foo","c":"bar"}') AS x(a int, b text, d text)
SELECT * FROM json_to_recordset('[{"a":1,"b":"foo","d":false},{"a":2,"b":"bar","c":true}]') AS x(a int, b text, c boolean)
SELECT * FROM jsonb_to_recordset('[{"a":1,"b":{"d":"foo"},"c":true},{"a":2,"c":false,"b":{"d":"bar"}}]') AS x(a int, b jsonb, c boolean)
SELECT *, c IS NULL AS c_is_null FROM json_to_recordset('[{"a":1, "b":{"c":16, "d":2}, "x":8}]'::json) AS t(a int, b json, c text, x int)
SELECT ia::text FROM jsonb_to_record('{"ia": [1, "2", null, 4]}') AS x(ia _int4)
SELECT ia::text, ia[2] FROM json_to_record('{"ia": "{1,2}"}') AS x(ia int[])
SELECT ia::text FROM json_to_record('{"ia": [{"a":1}, "x y", true]}') AS x(ia text[])
SELECT * FROM json_to_record('{"ia": 5}') AS x(ia _int4)
SELECT * FROM json_to_record('{"out": {"key": 1}}') AS x(out json)
SELECT * FROM jsonb_to_record('{"out": [{"key": 1}]}') AS x(out json)
SELECT * FROM json_to_record('{"out": "{\"key\": 1}"}') AS x(out jsonb)
SELECT * FROM json_to_record('{"a":null, "b": null, "c": "x\u0041"}') AS x(a json, b jsonb, c json)
SELECT * FROM json_to_record(NULL) AS x(a int)
SELECT * FROM json_to_recordset(NULL) AS x(a int)
SELECT * FROM json_to_recordset('[]') AS x(a int)
SELECT * FROM json_to_record('[1]') AS x(a int)
SELECT * FROM json_to_recordset('{"a":1}') AS x(a int)
SELECT * FROM jsonb_to_recordset('[{"a":1}, null]') AS x(a int)
SELECT * FROM json_to_record('{"a":1}') AS x(a int, a text)
SELECT * FROM json_to_record('{"a":1}')
SELECT * FROM json_to_record('{"a":1.5}') AS x(a int)
SELECT * FROM json_to_record('{"a":1}'::jsonb) AS x(a int)
SELECT x.a + 1, x.b FROM json_to_record('{"a":"2", "b":"2001-02-03"}') AS x(a numeric(5,2), b date)
SELECT r.a FROM json_to_recordset('[{"a":"2001-02-03"},{"a":"1999-01-01"}]') r(a date, b float8) WHERE r.a > '2000-01-01'
SELECT v.k, r.a FROM (VALUES (1, '{"a":5}'::jsonb), (2, '{"a":6}')) v(k, j), jsonb_to_record(v.j) AS r(a int) ORDER BY 1
SELECT ('123'::jsonb)[0], ('{"a": 1}'::jsonb)['a'], ('{"a": {"b": [1,2]}}'::jsonb)['a']['b'][1]
SELECT ('[1, "2", null]'::jsonb)['1'], ('[1, "2", null]'::jsonb)[-2], ('[1, "2", null]'::jsonb)[NULL], ('[1, "2", null]'::jsonb)[3]
CREATE TABLE f17_js (id int, j jsonb)
INSERT INTO f17_js VALUES (1, '{}'), (2, '{"key": "value"}'), (3, NULL), (4, '[]'), (5, '5')
SELECT id, j['key'], j['key']['x'], j[0] FROM f17_js ORDER BY id
UPDATE f17_js SET j['a'] = '1' WHERE id = 1
UPDATE f17_js SET j['a'] = '"test"' WHERE id = 2
UPDATE f17_js SET j['a'] = '{"b": 1}'::jsonb WHERE id = 3
UPDATE f17_js SET j[5] = '1' WHERE id = 4
SELECT * FROM f17_js ORDER BY id
UPDATE f17_js SET j['another_key'] = NULL WHERE id < 3
UPDATE f17_js SET j[-9] = '1' WHERE id = 4
UPDATE f17_js SET j[-1] = '2' WHERE id = 4
UPDATE f17_js SET j['a'][0]['b'][0]['c'] = '1' WHERE id = 1
UPDATE f17_js SET j[0][0][1] = '1' WHERE id = 4
UPDATE f17_js SET j['a']['x'] = '1' WHERE id = 2
UPDATE f17_js SET j['a'] = '1' WHERE id = 5
SELECT * FROM f17_js ORDER BY id
UPDATE f17_js SET j[NULL] = '1'
UPDATE f17_js SET j[1.5] = '1'
UPDATE f17_js SET j = '1', j['a'] = '2'
UPDATE f17_js SET j['a'] = '2', j['b'] = j['a'] WHERE id = 1 RETURNING *
UPDATE f17_js SET j['k'] = to_jsonb(id) WHERE id = 3 RETURNING j
CREATE TABLE f17_arr (i int[], t text[])
INSERT INTO f17_arr VALUES ('{1,2,3}', '{a,b,c}')
UPDATE f17_arr SET i[2] = 22, t[2] = 'twenty-two'
UPDATE f17_arr SET i[5] = 5, t[5] = 'five'
SELECT i::text, t::text FROM f17_arr
UPDATE f17_arr SET i[1] = NULL, t[1] = 'x y', i[2] = i[1]
SELECT i::text, t::text, i[2] FROM f17_arr
UPDATE f17_arr SET i[NULL] = 1
UPDATE f17_arr SET i[1] = 'x'
CREATE TABLE f17_int (n int)
UPDATE f17_int SET n[1] = 1
SELECT (ARRAY[1,2,3,4])[2:3]::text, (ARRAY[1,2,3,4])[:2]::text, (ARRAY[1,2,3,4])[3:]::text, (ARRAY[1,2,3])[:]::text
SELECT (ARRAY['a','b c',NULL])[0:2]::text, (ARRAY[1,2])[3:5]::text, (ARRAY[1,2])[2:1]::text, (ARRAY[1,2])[NULL:2]::text, ('{}'::int[])[1:2]::text
SELECT (ARRAY[1,2])[(SELECT g.i):(SELECT g.i + 1)]::text FROM generate_series(1, 1) g(i)
SELECT (1)[1:2]
SELECT * FROM unnest(ARRAY[1,2], ARRAY['a','b','c']) AS u(x, y)
SELECT * FROM unnest(ARRAY[1.5,2], NULL::int[]) WITH ORDINALITY
SELECT * FROM unnest('{}'::int[], '{}'::text[])
SELECT * FROM unnest(1, 2)
SELECT * FROM jsonb_each('{"b":1, "a": [2]}') WITH ORDINALITY
SELECT * FROM jsonb_array_elements('[1,2]') WITH ORDINALITY AS e(v, n)
SELECT * FROM json_each_text('{"b":1, "a": [2]}') WITH ORDINALITY
SELECT * FROM generate_subscripts(ARRAY[5,6,7], 1) g
SELECT * FROM generate_subscripts(ARRAY[5,6,7], 1, true) WITH ORDINALITY g(s, o)
SELECT * FROM generate_subscripts(ARRAY[5,6,7], 2) g
SELECT a::text, s, a[s] FROM (VALUES (ARRAY[10,20]), (ARRAY[30])) v(a), generate_subscripts(a, 1) s ORDER BY 1, 2
CREATE TABLE f17_sl (k int, a int[])
INSERT INTO f17_sl VALUES (1, '{1,2,3,4}'), (2, NULL), (3, '{}')
UPDATE f17_sl SET a[2:3] = '{20,30,99}' WHERE k = 1
UPDATE f17_sl SET a[3:6] = '{7,8,9,10}' WHERE k = 1
UPDATE f17_sl SET a[:2] = '{5,6}' WHERE k = 1
UPDATE f17_sl SET a[5:] = '{50,60}' WHERE k = 1
SELECT k, a::text FROM f17_sl ORDER BY k
UPDATE f17_sl SET a[1:2] = '{1}' WHERE k = 1
UPDATE f17_sl SET a[1:2] = '{1,2}' WHERE k = 2
UPDATE f17_sl SET a[:2] = '{1,2}' WHERE k = 3
UPDATE f17_sl SET a[8:9] = '{1,2}' WHERE k = 1
UPDATE f17_sl SET a[NULL:2] = '{1,2}' WHERE k = 1
UPDATE f17_sl SET a[2:1] = '{1,2}' WHERE k = 1
UPDATE f17_sl SET a[1:2] = NULL WHERE k = 1
UPDATE f17_sl SET a[1:1] = '{x}' WHERE k = 1
SELECT k, a::text FROM f17_sl ORDER BY k
SELECT FROM generate_series(1,5) UNION ALL SELECT FROM generate_series(1,3)
SELECT FROM generate_series(1,5) INTERSECT SELECT FROM generate_series(1,3)
SELECT FROM generate_series(1,5) INTERSECT ALL SELECT FROM generate_series(1,3)
SELECT FROM generate_series(1,5) EXCEPT SELECT FROM generate_series(1,3)
SELECT FROM generate_series(1,5) EXCEPT ALL SELECT FROM generate_series(1,3)
SELECT FROM generate_series(1,5) UNION SELECT FROM generate_series(1,3)
WITH cte AS MATERIALIZED (SELECT s FROM generate_series(1,5) s) SELECT FROM cte UNION SELECT FROM cte
SELECT FROM generate_series(1,3)
SELECT count(*) FROM (SELECT FROM generate_series(1,4)) s
SELECT exists(SELECT FROM generate_series(1,3) WHERE false)
CREATE TABLE f17_dt (a int)
DROP TRIGGER IF EXISTS f17_x ON f17_dt
DROP TRIGGER f17_x ON f17_dt
DROP TRIGGER f17_x ON f17_nosuch
DROP TRIGGER IF EXISTS f17_x ON f17_nosuch
DROP TRIGGER IF EXISTS f17_x ON public.f17_dt CASCADE
DROP RULE IF EXISTS f17_r ON f17_dt
DROP RULE f17_r ON f17_dt
DROP POLICY IF EXISTS f17_p ON f17_dt
DROP POLICY f17_p ON f17_nosuch
DROP TYPE IF EXISTS f17_t1, f17_t2
DROP TYPE f17_t1
DROP DOMAIN IF EXISTS f17_d
DROP DOMAIN f17_d
DROP TYPE int4
DROP DOMAIN int4
SELECT * FROM generate_series(1,3) a(x) JOIN generate_series(2,4) b(x) USING (x)
SELECT * FROM generate_series(1,3) a(x) NATURAL FULL JOIN generate_series(2,4) b(x) ORDER BY 1
SELECT * FROM LATERAL generate_series(1,2) g
SELECT * FROM (VALUES (2), (3)) t(n), LATERAL (SELECT count(*) FROM generate_series(1, t.n) g) s ORDER BY 1
