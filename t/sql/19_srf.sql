-- Set-returning functions in the select list (one call, ungrouped):
-- generate_series, regexp_matches, regexp_split_to_table, the json(b) key
-- and element functions; string_to_table
-- and regexp_matches in FROM; the WITH queries of INSERT seen from ON
-- CONFLICT DO UPDATE; FETCH FIRST ... WITH TIES; jsonb_object_agg; jsonb_set_lax;
-- x op ANY/ALL (array) for every comparison operator; json(b)_object of text[].
CREATE TABLE t19_gs (a int) -- shard
INSERT INTO t19_gs SELECT generate_series(1, 5) -- shard
SELECT a FROM t19_gs ORDER BY a -- shard
SELECT generate_series(1, 3) -- shard
SELECT generate_series(1, 3) AS x, 'k' AS k -- shard
SELECT a, generate_series(1, a) FROM t19_gs WHERE a < 4 ORDER BY a, 2 -- shard
SELECT a, generate_series(a, 1, -1) AS g FROM t19_gs WHERE a < 3 ORDER BY a, g -- shard
SELECT generate_series(1, 3), generate_series(1, 3) -- shard
SELECT generate_series('2020-01-01'::timestamp, '2020-01-03', '1 day') -- shard
SELECT * FROM (SELECT 1 AS t, generate_series(1, 10) AS x UNION SELECT 2 AS t, 4 AS x) ss WHERE x < 4 ORDER BY x -- shard
SELECT generate_series(1, 3) FROM t19_gs WHERE false -- shard
SELECT count(*) FROM (SELECT generate_series(1, a) FROM t19_gs) s -- shard
DROP TABLE t19_gs -- shard
SELECT v, v IS NULL AS "is null" FROM string_to_table('1,2,3,4,,6', ',', '') g(v) -- shard
SELECT * FROM string_to_table('a|b', '|') -- shard
SELECT x.* FROM string_to_table('a|b', '|') x -- shard
SELECT t.v, s.v FROM (VALUES ('a-b'), ('c')) t(v), string_to_table(t.v, '-') s(v) ORDER BY 1, 2 -- shard
SELECT m::text FROM regexp_matches('foobarbequebazilbarfbonk', '(b[^b]+)(b[^b]+)', 'g') m -- shard
SELECT m::text FROM regexp_matches('foobarbequebaz', '(bar)(.+)?(beque)') m -- shard
SELECT m::text FROM regexp_matches('foo' || chr(10) || 'bar' || chr(10) || 'baz', '^', 'mg') m -- shard
SELECT m::text FROM regexp_matches(chr(10) || '1' || chr(10) || '2' || chr(10), '.?$', 'mg') m -- shard
SELECT m::text FROM regexp_matches('aaa', 'a*', 'g') m -- shard
SELECT m::text FROM regexp_matches('abc', '', 'g') m -- shard
SELECT m::text, n FROM regexp_matches('abcabc', 'b(c)', 'g') WITH ORDINALITY AS x(m, n) -- shard
SELECT regexp_split_to_table('a b  c', ' +') -- shard
CREATE TABLE t19_wz (k int PRIMARY KEY, v text) -- shard
WITH aa AS (SELECT 1 a, 2 b) INSERT INTO t19_wz VALUES (1, 'insert') ON CONFLICT (k) DO UPDATE SET v = (SELECT b || ' update' FROM aa WHERE a = 1 LIMIT 1) -- shard
WITH aa AS (SELECT 1 a, 2 b) INSERT INTO t19_wz VALUES (1, 'insert') ON CONFLICT (k) DO UPDATE SET v = (SELECT b || ' update' FROM aa WHERE a = 1 LIMIT 1) -- shard
WITH aa AS (SELECT 1 a, 2 b) INSERT INTO t19_wz VALUES (1, 'insert') ON CONFLICT (k) DO UPDATE SET v = v || '!' WHERE t19_wz.k = (SELECT a FROM aa) -- shard
SELECT k, v FROM t19_wz -- shard
DROP TABLE t19_wz -- shard
CREATE TABLE t19_ties (k int, v text) -- shard
INSERT INTO t19_ties VALUES (1, 'a'), (2, 'b'), (2, 'b'), (3, 'c'), (3, 'c'), (3, 'c'), (4, 'd') -- shard
SELECT k, v FROM t19_ties ORDER BY k FETCH FIRST 2 ROWS WITH TIES -- shard
SELECT k, v FROM t19_ties ORDER BY k DESC FETCH FIRST 1 ROW WITH TIES -- shard
SELECT k FROM t19_ties ORDER BY k OFFSET 3 FETCH FIRST 1 ROWS WITH TIES -- shard
SELECT k AS kk FROM t19_ties ORDER BY 1 FETCH FIRST 0 ROWS WITH TIES -- shard
SELECT k FROM t19_ties ORDER BY k OFFSET 6 FETCH FIRST 5 ROWS WITH TIES -- shard
SELECT k FROM t19_ties ORDER BY k FETCH FIRST NULL ROWS WITH TIES -- shard
SELECT k FROM t19_ties FETCH FIRST 2 ROWS WITH TIES -- shard
SELECT count(*) FROM (SELECT k FROM t19_ties ORDER BY k FETCH FIRST 4 ROWS WITH TIES) s -- shard
DROP TABLE t19_ties -- shard
CREATE TABLE t19_js (id int, j json, b jsonb) -- shard
INSERT INTO t19_js VALUES (1, '{"a":1,"b":[1,2]}', '{"x":"y","z":null}'), (2, '[1,"two",{"c":3}]', '[true, null]') -- shard
SELECT id, json_object_keys(j) FROM t19_js WHERE id = 1 ORDER BY 2 -- shard
SELECT id, jsonb_object_keys(b) AS k FROM t19_js WHERE id = 1 ORDER BY 2 -- shard
SELECT json_array_elements(j) FROM t19_js WHERE id = 2 -- shard
SELECT jsonb_array_elements(b) FROM t19_js WHERE id = 2 -- shard
SELECT json_array_elements_text(j) FROM t19_js WHERE id = 2 -- shard
SELECT jsonb_array_elements_text('[1,"a",null]') -- shard
SELECT json_object_keys(j) FROM t19_js -- shard
DROP TABLE t19_js -- shard
SELECT jsonb_object_agg(k, v) FROM (VALUES ('b', 1), ('a', 2), ('b', 3)) t(k, v) -- shard
SELECT jsonb_object_agg(k, v ORDER BY v DESC) FROM (VALUES ('b', 1), ('a', 2), ('b', 3)) t(k, v) -- shard
SELECT jsonb_build_object('t', jsonb_object_agg(k, jsonb_build_object('v', v))) FROM (VALUES ('x', 1), ('y', 2)) t(k, v) -- shard
SELECT jsonb_object_agg(k, v) FROM (VALUES (NULL, 1)) t(k, v) -- shard
SELECT json_object_agg(k, v) FROM (VALUES (NULL, 1)) t(k, v) -- shard
SELECT jsonb_object_agg(k, v) FROM (VALUES ('a', 1)) t(k, v) WHERE false -- shard
SELECT k, jsonb_object_agg(k, v) OVER (ORDER BY k) FROM (VALUES ('b', 1), ('a', 2)) t(k, v) -- shard
SELECT jsonb_set_lax('{"a":1,"b":2}', '{b}', '5') -- shard
SELECT jsonb_set_lax('{"a":1,"b":2}', '{d}', '6', true) -- shard
SELECT jsonb_set_lax('{"a":1,"b":2}', '{b}', NULL) -- shard
SELECT jsonb_set_lax('{"a":1,"b":2}', '{b}', NULL, true, NULL) -- shard
SELECT jsonb_set_lax('{"a":1,"b":2}', '{b}', NULL, true, 'no_such_treatment') -- shard
SELECT jsonb_set_lax('{"a":1,"b":2}', '{b}', NULL, null_value_treatment => 'raise_exception') -- shard
SELECT jsonb_set_lax('{"a":1,"b":2}', '{b}', NULL, null_value_treatment => 'return_target') -- shard
SELECT jsonb_set_lax('{"a":1,"b":2}', '{b}', NULL, null_value_treatment => 'delete_key') -- shard
SELECT jsonb_set_lax(NULL, '{b}', NULL) -- shard
SELECT 3 < ALL (ARRAY[4,5]), 3 < ALL (ARRAY[2,5]), 3 < ALL (ARRAY[4,NULL]), 3 < ALL ('{}'::int[]), 3 < ALL (NULL::int[]) -- shard
SELECT 3 > ANY (ARRAY[4,5]), 3 > ANY (ARRAY[2,5]), 3 > ANY (ARRAY[4,NULL]), 3 > ANY ('{}'::int[]), NULL::int > ANY (ARRAY[1]) -- shard
SELECT 'b' >= ALL (ARRAY['a','b']), 'b' = ALL (ARRAY['b','b']), 'b' <> ANY (ARRAY['b','b']), 'b' != ANY (ARRAY['b','c']) -- shard
SELECT 2.5 < ALL (ARRAY[3.1, 2.6]), 1::int8 <= ALL (ARRAY[1,2]), 5 >= ALL ('{1,2,3}') -- shard
SELECT k FROM (VALUES (1), (2), (3)) v(k) WHERE k > ALL (ARRAY[1, 2]) OR k < ANY ('{0}') -- shard
SELECT json_object('{}'), jsonb_object('{}'), json_object('{}', '{}') -- shard
SELECT json_object('{a,1,b,2,3,NULL,"d e f","a b c"}'), jsonb_object('{a,1,b,2,3,NULL,"d e f","a b c"}') -- shard
SELECT json_object('{a,b,c}') -- shard
SELECT json_object('{a,b,c,"d e f"}', '{1,2,3,"a b c"}'), jsonb_object('{a,b,c,"d e f"}', '{1,2,3,"a b c"}') -- shard
SELECT json_object('{a,b,c,"d e f",g}', '{1,2,3,"a b c"}') -- shard
SELECT jsonb_object('{a,b,NULL,"d e f"}', '{1,2,3,"a b c"}') -- shard
SELECT json_object('{a,b,"","d e f"}', '{1,2,3,"a b c"}'), json_object('{a,1}'::text[], NULL) IS NULL -- shard
