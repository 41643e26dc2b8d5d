-- The jsonb operators (issue 17) compared with PostgreSQL 15 by t/053.
SELECT '{"a": 1, "b": 2}'::jsonb ? 'a', '{"a": 1}'::jsonb ? 'b', '["a", "b"]'::jsonb ? 'b', '"a"'::jsonb ? 'a', '[1]'::jsonb ? '1'
SELECT '{"a": {"b": 1}}'::jsonb ? 'b', '{"a\"b": 1}'::jsonb ? 'a"b', '{"é": 1}'::jsonb ? 'é'
SELECT '{"a": 1, "b": 2, "c": 3}'::jsonb ?| ARRAY['b', 'x'], '{"a": 1}'::jsonb ?| '{x,y}', '{"a": 1}'::jsonb ?| '{}'
SELECT '{"a": 1, "b": 2, "c": 3}'::jsonb ?& ARRAY['a', 'b'], '{"a": 1}'::jsonb ?& '{a,y}', '{"a": 1}'::jsonb ?& '{}', '["a"]'::jsonb ?& ARRAY['a', NULL]
SELECT '{"a": 1, "b": 2}'::jsonb @> '{"b": 2}', '{"a": 1}'::jsonb @> '{"a": 2}', '{"a": 1.50}'::jsonb @> '{"a": 1.5}'
SELECT '[1, 2, [1, 3]]'::jsonb @> '[1, 3]', '[1, 2, [1, 3]]'::jsonb @> '[[1, 3]]', '["foo", "bar"]'::jsonb @> '"foo"', '"foo"'::jsonb @> '["foo"]'
SELECT '{"foo": {"bar": "baz"}}'::jsonb @> '{"bar": "baz"}', '{"foo": {"bar": "baz", "x": [1, 2]}}'::jsonb @> '{"foo": {"x": [2]}}', '{}'::jsonb @> '{}', '[]'::jsonb @> '[]'
SELECT '{"b": 2}'::jsonb <@ '{"a": 1, "b": 2}', '[1, 1, 2]'::jsonb <@ '[1, 2]', 'null'::jsonb <@ '[null]', '{"a": null}'::jsonb @> '{"a": null}'
SELECT '{"a": {"b": ["x", "y"]}}'::jsonb #> '{a,b,1}', '{"a": {"b": ["x", "y"]}}'::jsonb #>> '{a,b,1}', '{"a": {"b": ["x", "y"]}}'::jsonb #> '{a}'
SELECT '{"a": [1, 2, 3]}'::jsonb #> '{a,-1}', '{"a": [1, 2, 3]}'::jsonb #> '{a,5}', '{"a": [1, 2, 3]}'::jsonb #> '{a,x}', '{"a": 1}'::jsonb #> '{}', '{"a": null}'::jsonb #>> '{a}'
SELECT '{"a": {"b": 1.50}}'::json #> '{a,b}', '{"a": {"b":  [1,  2]}}'::json #>> '{a,b}', '{"a": 1}'::jsonb #>> '{a,b}'
SELECT '{"a": 1, "b": 2}'::jsonb - 'a', '["a", "b", "a"]'::jsonb - 'a', '{"a": 1, "b": 2, "c": 3}'::jsonb - ARRAY['a', 'c'], '{"a": 1}'::jsonb - 'x'
SELECT '["a", "b", "c"]'::jsonb - 1, '["a", "b", "c"]'::jsonb - -1, '["a", "b"]'::jsonb - 7, '[]'::jsonb - 0
SELECT '{"a": 1}'::jsonb - 0
SELECT '1'::jsonb - 'a'
SELECT '{"a": {"b": [1, 2, {"c": 3}]}, "d": 4}'::jsonb #- '{a,b,2,c}', '{"a": {"b": [1, 2]}}'::jsonb #- '{a,b,-1}', '{"a": 1}'::jsonb #- '{x,y}', '{"a": 1}'::jsonb #- '{}'
SELECT '["a", "b"]'::jsonb #- '{x}'
SELECT '"a"'::jsonb #- '{a}'
SELECT '{"a": 1}'::json ? 'a'
SELECT '{"a": 1}'::jsonb ? 1
SELECT NULL::jsonb ? 'a', '{"a": 1}'::jsonb ? NULL, '{"a": 1}'::jsonb @> NULL
SELECT '{"a": 1}' ? 'a', '{"a": {"b": 2}}' #>> '{a,b}'
SELECT '{"a": 1, "b": 2}'::jsonb - 'a' || '{"c": 3}'::jsonb
CREATE TABLE j17 (id int PRIMARY KEY, doc jsonb)
INSERT INTO j17 VALUES (1, '{"tags": ["x", "y"], "n": 1}'), (2, '{"tags": ["y"], "n": 2, "extra": {"k": "v"}}'), (3, '[1, 2]'), (4, NULL)
SELECT id FROM j17 WHERE doc ? 'extra' ORDER BY id
SELECT id FROM j17 WHERE doc @> '{"tags": ["y"]}' ORDER BY id
SELECT id, doc #>> '{tags,0}', doc - 'tags' FROM j17 ORDER BY id
SELECT id FROM j17 WHERE doc->'tags' ? 'x' ORDER BY id
SELECT jsonb_typeof('{"a": 1}'), jsonb_typeof('[1]'), jsonb_typeof('"x"'), jsonb_typeof('1.5'), jsonb_typeof('true'), jsonb_typeof('null'), json_typeof('{"a" : 1}')
SELECT jsonb_array_length('[1, [2, 3], {}]'), json_array_length('[]'), jsonb_array_length(NULL)
SELECT jsonb_array_length('{"a": 1}')
SELECT json_array_length('5')
SELECT jsonb_set('{"a": 1, "b": [1, 2]}', '{b,0}', '"x"'), jsonb_set('{"a": 1}', '{c}', '[true]'), jsonb_set('{"a": 1}', '{c}', '2', false)
SELECT jsonb_set('[1, 2, 3]', '{5}', '9'), jsonb_set('[1, 2, 3]', '{-9}', '0'), jsonb_set('[1, 2, 3]', '{-1}', '0'), jsonb_set('{"a": {"b": 1}}', '{a,c,d}', '1')
SELECT jsonb_set('[]', '{0}', '1'), jsonb_set('{"a": 1}', '{}', '5'), jsonb_set('{"a": 1}', '{a}', NULL)
SELECT jsonb_set('1', '{a}', '2')
SELECT jsonb_set('[1]', '{x}', '2')
SELECT jsonb_insert('{"a": [0, 1, 2]}', '{a, 1}', '"new"'), jsonb_insert('{"a": [0, 1, 2]}', '{a, 1}', '"new"', true), jsonb_insert('{"a": [0, 1, 2]}', '{a, 9}', '"new"'), jsonb_insert('{"a": 1}', '{b}', '2')
SELECT jsonb_insert('{"a": 1}', '{a}', '2')
SELECT to_jsonb(1), to_jsonb(1.50), to_jsonb('a"b'::text), to_jsonb(true), to_jsonb(NULL::int), to_json(2.5::float8), to_jsonb('NaN'::float8), to_json('{"a": 1}'::jsonb)
SELECT to_json('2020-01-02 03:04:05'::timestamp), to_jsonb('2020-01-02'::date), to_json('2020-01-02 03:04:05+00'::timestamptz)
SELECT jsonb_build_array(1, 'two', NULL, true, '{"x": 1}'::jsonb), json_build_array(1, 'two', NULL, false), jsonb_build_array(), json_build_array()
SELECT jsonb_build_object('b', 1, 'a', 'x', 'c', NULL), jsonb_build_object(), jsonb_build_object(1, 2)
SELECT jsonb_build_object('a', 1, 'b')
SELECT jsonb_build_object(NULL, 1)
SELECT jsonb_extract_path('{"a": {"b": [1, 2]}}', 'a', 'b', '1'), jsonb_extract_path_text('{"a": {"b": "x"}}', 'a', 'b'), json_extract_path('{"a": {"b":  [1,  2]}}', 'a', 'b'), json_extract_path_text('{"a": 1}', 'z')
SELECT jsonb_strip_nulls('{"a": null, "b": {"c": null, "d": 1}, "e": [null, {"f": null}]}'), jsonb_strip_nulls('null')
SELECT jsonb_pretty('{"a": [1, 2, {"b": null}], "c": {}, "d": []}')
SELECT jsonb_pretty('5'), jsonb_pretty('[]')
SELECT jsonb_exists('{"a": 1}', 'a'), jsonb_exists_any('{"a": 1}', '{b,a}'), jsonb_contains('{"a": 1}', '{}'), jsonb_contained('{}', '{"a": 1}'), jsonb_delete('{"a": 1, "b": 2}', 'a'), jsonb_delete_path('{"a": [1, 2]}', '{a,0}')
SELECT * FROM jsonb_each('{"b": [1, 2], "a": 1.50, "c": null, "d": "x"}')
SELECT key, value FROM jsonb_each_text('{"b": [1, 2], "a": 1.50, "c": null, "d": "x"}') ORDER BY key
SELECT * FROM json_each('{"b":  [1,2], "a": 1.50}') AS j(k, v)
SELECT value FROM jsonb_array_elements('[1, "a", {"b": 2}, null]')
SELECT * FROM jsonb_array_elements_text('[1, "a", {"b": 2}, null]') AS e(x)
SELECT * FROM json_array_elements('[1, "a",  {"b":2}]')
SELECT * FROM jsonb_object_keys('{"b": 1, "a": 2}')
SELECT json_object_keys FROM json_object_keys('{"b": 1, "a": 2}')
SELECT * FROM jsonb_each('[1]')
SELECT * FROM jsonb_array_elements('{"a": 1}')
SELECT * FROM jsonb_array_elements('5')
CREATE TABLE j17b (id int, doc jsonb)
INSERT INTO j17b VALUES (1, '{"a": 1, "b": 2}'), (2, '{"c": 3}')
SELECT t.id, e.key, e.value FROM j17b t, jsonb_each(t.doc) e ORDER BY 1, 2
SELECT t.id, count(*) FROM j17b t CROSS JOIN LATERAL jsonb_object_keys(t.doc) k GROUP BY t.id ORDER BY 1
SELECT ARRAY[1, 2, 3] @> ARRAY[3, 1], ARRAY[1, 2] @> ARRAY[1, 4], ARRAY[1, NULL] @> ARRAY[NULL]::int[], ARRAY[1, 2] @> '{}'
SELECT ARRAY[1, 2] <@ ARRAY[1, 2, 3], '{a,b}'::text[] <@ '{a}', ARRAY[1, 2] && ARRAY[2, 5], ARRAY[1] && ARRAY[3], '{}'::int[] && '{}'
SELECT ARRAY['a b', 'c'] @> ARRAY['a b'], ARRAY[1, 1, 2] @> ARRAY[2, 2, 2], NULL::int[] @> ARRAY[1]
SELECT ARRAY[1, 2] @> ARRAY[1::bigint]
SELECT '[{"b": "c"}, {"b": "cc"}]'::json -> 1, '[{"b": "c"}, {"b": "cc"}]'::jsonb ->> 1, '{"a": [1,  2]}'::json -> 'a', '{"a": [1,  2]}'::json ->> 'a'
SELECT '[1, 2, 3]'::jsonb -> -1, '[1, 2, 3]'::jsonb -> 5, '{"a": 1}'::jsonb -> 0, '[1]'::jsonb -> 'a', '{"a": "x\"y"}'::jsonb ->> 'a', '{"a": null}'::jsonb ->> 'a', '{"a": null}'::jsonb -> 'a'
SELECT '{"a": {"b": 1}}'::jsonb -> 'a' -> 'b', '{"a": 1.50}'::jsonb -> 'a', NULL::jsonb -> 'a', '{"a": 1}'::jsonb -> NULL::text
SELECT jsonb_build_object('{1,2,3}'::int[], 3)
SELECT json_build_object(json '{"a":1,"b":2}', 3)
SELECT json_build_object('a', 1, 'b', 'x')
SELECT json_strip_nulls('[1, {"a":null, "b" : 2}, null]'), json_strip_nulls('{"a": {"b": null, "c": [1, 2]}}'), jsonb_strip_nulls('{"a": null, "b": [null]}')
