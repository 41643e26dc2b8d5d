-- String functions (issue 17), compared with PostgreSQL 15 by t/053_pg_examples.pl:
-- one statement per line.
SELECT position('b' in 'abc'), position('x' in 'abc'), position('' in 'abc'), position('é' in 'caféé')
SELECT split_part('a,b,,c', ',', 2), split_part('a,b,,c', ',', 3), split_part('a,b,,c', ',', -1), split_part('a,b', ',', 5), split_part('abc', '', 1)
SELECT split_part('a,b', ',', 0)
SELECT overlay('Txxxxas' placing 'hom' from 2 for 4), overlay('abcdef' placing 'XY' from 3), overlay('äbcdef' placing 'ß' from 1 for 2)
SELECT translate('12345', '143', 'ax'), translate('héllo', 'é', 'e')
SELECT starts_with('alphabet', 'alph'), starts_with('alphabet', 'beta')
SELECT string_to_array('xx~^~yy~^~zz', '~^~')::text, string_to_array('a,b,,c', ',', '')::text, string_to_array('abc', NULL)::text, string_to_array('', ',')::text, string_to_array('a b,"c"', ',')::text
SELECT chr(65), chr(233), ascii('A'), ascii('é'), ascii('')
SELECT chr(0)
SELECT to_hex(255), to_hex(-1), to_hex(9223372036854775807), to_hex(-1::bigint)
SELECT quote_literal('O''Reilly'), quote_literal(E'a\\b'), quote_nullable(NULL), quote_nullable('x'), quote_literal(42)
SELECT sha256('abc'::bytea), sha512(''::bytea), sha224('x'::bytea)
SELECT encode('hello\000world'::bytea, 'hex'), encode('hello'::bytea, 'base64'), encode(E'a\\\\b\\001'::bytea, 'escape')
SELECT decode('68656c6c6f', 'hex'), decode('aGVsbG8=', 'base64'), decode('a\\001b', 'escape')
SELECT encode('x'::bytea, 'foo')
SELECT concat_ws(',', 'a', NULL, 'b', 1, true, 2.50), concat_ws(NULL, 'a'), concat_ws('-', 'x')
SELECT format('Hello %s, %I, %L', 'World', 'my col', 'it''s'), format('%s|%1$s|%-5s|%5s|', 'a', 'b', 'c'), format('%L', NULL), format('%%')
SELECT format('%s %s', 'a')
SELECT format('%x', 1)
SELECT bit_length('abc'), bit_length('é')
SELECT lpad('hi', 5, 'xy'), rpad('hi', 5), left('abcde', -2), right('abcde', 2), repeat('ab', 3), reverse('abc'), initcap('hello wORLD foo-bar')
SELECT md5('abc'), upper('abc'), lower('ABC'), length('héllo'), octet_length('héllo'), btrim('xxabcxx', 'x'), ltrim('  a'), rtrim('a  ')
SELECT replace('abcabc', 'b', 'X'), strpos('abc', 'c'), substr('abcdef', 2, 3), substring('abcdef' from 2 for 3), 'a' || 'b' || 1
SELECT 'a_c' LIKE 'a#_c' ESCAPE '#', 'abc' LIKE 'a#_c' ESCAPE '#', 'a\c' LIKE 'a\c' ESCAPE '', 'a%c' LIKE 'a$%c' ESCAPE '$', 'AbC' ILIKE 'a#bc' ESCAPE '#'
SELECT regexp_match('foobarbequebaz', 'bar.*que')::text, regexp_match('foobarbequebaz', '(bar)(beque)')::text, regexp_match('abc', 'x')::text, regexp_match('ABC', 'b', 'i')::text
SELECT regexp_split_to_array('hello world', '\s+')::text, regexp_split_to_array('abc', '')::text, regexp_split_to_array('a,b,,c', ',')::text, regexp_split_to_array('', ',')::text
SELECT regexp_count('ABCABCAXYaxy', 'A.'), regexp_count('ABCABCAXYaxy', 'A.', 1, 'i'), regexp_count('abc', 'x'), regexp_count('aaa', 'a*')
SELECT regexp_instr('abcdefghi', 'd.f'), regexp_instr('ABCDEFGHI', 'd.f', 1, 1, 0, 'i'), regexp_instr('abcabc', 'b', 1, 2), regexp_instr('abcabc', 'b', 1, 2, 1), regexp_instr('abc', '(b)(c)', 1, 1, 0, '', 2)
SELECT regexp_substr('abcdefghi', 'd.f'), regexp_substr('ABCDEFGHI', 'd.f', 1, 1, 'i'), regexp_substr('abcabc', 'b.', 1, 2), regexp_substr('abc', 'x'), regexp_like('abc', 'B', 'i'), regexp_like('abc', 'x')
SELECT regexp_match('abc', 'b', 'g')::text
SELECT (timestamp '2000-01-01', timestamp '2000-01-10') OVERLAPS (timestamp '2000-01-05', timestamp '2000-01-20'), (date '2000-01-01', interval '1 day') OVERLAPS (date '2000-01-03', interval '1 day')
SELECT (timestamptz '2000-01-01', NULL::timestamptz) OVERLAPS (timestamptz '2000-01-01', timestamptz '2000-01-02'), (time '01:00', time '02:00') OVERLAPS (time '01:30', interval '1 hour')
SELECT position('\x5678'::bytea in '\x1234567890'::bytea), position('\x99'::bytea in '\x1234'::bytea), position(''::bytea in '\x1234'::bytea)
SELECT 'abcdefg' SIMILAR TO '_bcd%', 'abcdefg' SIMILAR TO 'bcd%', 'abcdefg' SIMILAR TO '_bcd#%' ESCAPE '#', 'abcd%' SIMILAR TO '_bcd#%' ESCAPE '#', 'abc' NOT SIMILAR TO 'a(b|x)c'
SELECT 'a.c' SIMILAR TO 'a.c', 'abc' SIMILAR TO 'a.c', 'ab' SIMILAR TO '[a-c]+', 'abd' SIMILAR TO '(ab|cd)d', NULL SIMILAR TO 'a', 'a' SIMILAR TO 'a' ESCAPE ''
SELECT 'abc' SIMILAR TO 'a%' ESCAPE NULL
SELECT SUBSTRING('abcdefg' SIMILAR 'a#"(b_d)#"%' ESCAPE '#') AS "bcd", SUBSTRING('abcdefg' FROM 'a#"(b_d)#"%' FOR '#') AS "bcd2"
SELECT SUBSTRING('abcdefg' SIMILAR '#"(b_d)#"%' ESCAPE '#') IS NULL AS "True", SUBSTRING('abcdefg' SIMILAR '%' ESCAPE NULL) IS NULL AS "True", SUBSTRING(NULL SIMILAR '%' ESCAPE '#') IS NULL AS "True"
SELECT SUBSTRING('abcdefg' SIMILAR 'a*#"%#"g' ESCAPE '#'), SUBSTRING('abcdefg' SIMILAR 'a%g' ESCAPE '#'), SUBSTRING('abcdefg' SIMILAR '(a)#"b_d#"%' ESCAPE '#')
SELECT SUBSTRING('abcdefg' SIMILAR 'a|b#"%#"g' ESCAPE '#')
SELECT SUBSTRING('abcdefg' SIMILAR 'a#"%#"x|g' ESCAPE '#')
SELECT foo, length(foo) FROM regexp_split_to_table('the quick brown fox', '\s+') AS foo
SELECT foo FROM regexp_split_to_table('thE QUick bROWn', 'e', 'i') AS foo
SELECT * FROM regexp_split_to_table('abc', '') WITH ORDINALITY
SET TimeZone = 'PST8PDT'
select concat(1,2,3,'hello',true, false, to_date('20100309','YYYYMMDD')), concat('a', NULL, 'b'), concat(2.50, 1.5::float8, timestamptz '2024-01-01 00:00+00', interval '1 day'), concat(NULL)
select concat()
RESET TimeZone
select format('>>%2$*1$L<<', 10, 'Hello'), format('>>%2$*1$L<<', 10, NULL), format('>>%2$*1$L<<', -10, NULL), format('>>%*s<<', 10, 'Hello'), format('>>%*1$s<<', 10, 'Hello'), format('>>%2$*1$L<<', NULL, 'Hello'), format('>>%2$*1$L<<', 0, 'Hello'), format('%-*s|', 4, 'ab')
