-- array_position, array_positions, array_remove and array_replace
-- (issue 17).  One statement per line, compared with PostgreSQL 15 by t/053.
SELECT array_position(ARRAY[1,2,3,4,5], 4), array_position(ARRAY[5,3,4,2,1], 4), array_position(ARRAY['sun','mon','tue'], 'mon'), array_position(ARRAY['sun','mon'], 'x')
SELECT array_position(ARRAY['sun','mon','tue','wed','thu','fri','sat'], NULL), array_position(ARRAY['sun','mon','tue','wed','thu',NULL,'fri','sat'], NULL), array_position(ARRAY['sun',NULL,'sat'], 'sat')
SELECT array_positions(NULL, 10)::text, array_positions(NULL, NULL::int)::text, array_positions(ARRAY[1,2,3,4,5,6,1,2,3,4,5,6], 4)::text, array_positions(ARRAY[1,2,3,4,5,6,1,2,3,4,5,6], NULL)::text, array_positions(ARRAY[1,2,3,NULL,5,6,1,2,3,NULL,5,6], NULL)::text
SELECT array_remove(array[1,2,2,3], 2)::text, array_remove(array[1,2,2,3], 5)::text, array_remove(array[1,NULL,NULL,3], NULL)::text, array_remove(array['A','CC','D','C','RR'], 'RR')::text, array_remove(NULL::int[], 1)::text, array_remove(array[1], 1)::text
SELECT array_replace(array[1,2,5,4],5,3)::text, array_replace(array[1,2,5,4],5,NULL)::text, array_replace(array[1,2,NULL,4,NULL],NULL,5)::text, array_replace(array['A','B','DD','B'],'B','CC')::text, array_replace(array[1,NULL,3],NULL,NULL)::text, array_replace(array['AB',NULL,'CDE'],NULL,'12')::text
SELECT array_position(ARRAY[1.5, 2.50], 2.50), array_position(ARRAY[1.5, 2.50], 2.5), array_remove(ARRAY[1.0, 1, 2], 1.00)::text, array_positions(ARRAY['a b', 'c', 'a b'], 'a b')::text, array_remove(ARRAY['x,y', 'z'], 'z')::text, array_replace(ARRAY['x,y', 'z'], 'z', 'a"b')::text
SELECT array_position(ARRAY[DATE '2020-01-02', DATE '2021-03-04'], '2021-03-04'), array_remove(ARRAY[true, false, true], true)::text
SELECT array_length(array_positions(ARRAY(SELECT 'AAAAAAAAAAAAAAAAAAAAAAAAA'::text || i % 10 FROM generate_series(1,100) g(i)), 'AAAAAAAAAAAAAAAAAAAAAAAAA5'), 1)
