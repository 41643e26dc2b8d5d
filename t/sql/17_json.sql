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
