-- json(b)_build_array, json(b)_build_object and json(b)_extract_path[_text]
-- called with VARIADIC arrays (issue 17).  One statement per line,
-- compared with PostgreSQL 15 by t/053.
SELECT json_build_array(VARIADIC NULL::text[]), json_build_array(VARIADIC '{}'::text[]), json_build_array(VARIADIC '{a,b,c}'::text[])
SELECT json_build_array(VARIADIC ARRAY['a', NULL]::text[]), json_build_array(VARIADIC '{1,2,3,4}'::text[]), json_build_array(VARIADIC '{1,2,3,4}'::int[])
SELECT jsonb_build_array(VARIADIC NULL::text[]), jsonb_build_array(VARIADIC '{}'::text[]), jsonb_build_array(VARIADIC '{a,b,c}'::text[])
SELECT jsonb_build_array(VARIADIC ARRAY['a', NULL]::text[]), jsonb_build_array(VARIADIC '{1,2,3,4}'::text[]), jsonb_build_array(VARIADIC '{1,2,3,4}'::int[])
SELECT json_build_array(VARIADIC ARRAY[true, false]), json_build_array(VARIADIC ARRAY[1.50, -2]), json_build_array(VARIADIC ARRAY['x"y', 'a\b'])
SELECT json_build_object(VARIADIC NULL::text[]), json_build_object(VARIADIC '{}'::text[]), json_build_object(VARIADIC ARRAY['a', NULL]::text[])
SELECT json_build_object(VARIADIC '{1,2,3,4}'::text[]), json_build_object(VARIADIC '{1,2,3,4}'::int[])
SELECT jsonb_build_object(VARIADIC NULL::text[]), jsonb_build_object(VARIADIC '{}'::text[]), jsonb_build_object(VARIADIC ARRAY['a', NULL]::text[])
SELECT jsonb_build_object(VARIADIC '{1,2,3,4}'::text[]), jsonb_build_object(VARIADIC '{1,2,3,4}'::int[]), jsonb_build_object(VARIADIC '{b,2,a,1,b,3}'::text[])
SELECT json_build_object(VARIADIC '{a,b,c}'::text[])
SELECT jsonb_build_object(VARIADIC ARRAY[NULL, 'a']::text[])
SELECT json_extract_path('{"a": {"b": [1, 2]}}', VARIADIC ARRAY['a', 'b']), json_extract_path_text('{"a": {"b": [1, 2]}}', VARIADIC '{a,b,1}'::text[])
SELECT jsonb_extract_path('{"a": {"b": [1, 2]}}', VARIADIC ARRAY['a', 'b']), jsonb_extract_path_text('{"a": {"b": [1, 2]}}', VARIADIC '{a,b,1}'::text[]), jsonb_extract_path('{"a": 1}', VARIADIC '{}'::text[])
