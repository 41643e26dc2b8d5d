-- VARIADIC arrays given to concat, concat_ws and format, compared with
-- PostgreSQL 15 by t/053.  One statement per line.
SELECT concat(VARIADIC ARRAY[1, 2, 3])
SELECT concat_ws(',', VARIADIC ARRAY[1, 2, 3])
SELECT concat_ws(',', VARIADIC NULL::int[])
SELECT concat(VARIADIC NULL::int[]) IS NULL
SELECT concat(VARIADIC '{}'::int[]) = ''
SELECT format('%s, %s', VARIADIC ARRAY['Hello', 'World'])
SELECT format('%s, %s', VARIADIC ARRAY[1, 2])
SELECT format('%s, %s', VARIADIC ARRAY[true, false])
SELECT format('%2$s, %1$s', VARIADIC ARRAY['first', 'second'])
SELECT format('Hello', VARIADIC NULL::int[])
SELECT format('%s-%s', 'a', VARIADIC ARRAY['b'])
SELECT concat_ws('-', VARIADIC ARRAY['x', NULL, 'z'])
SELECT concat(VARIADIC ARRAY[n, n * 2]) FROM (VALUES (1), (5)) v(n) ORDER BY 1
SELECT concat_ws(',', VARIADIC 10)
SELECT concat('a', VARIADIC ARRAY['b'])
