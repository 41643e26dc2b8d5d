-- sqrt, exp, ln, log, log10, power and ^ of numeric with PostgreSQL's
-- result scales, and of double precision (issue 17).  One statement per
-- line, compared with PostgreSQL 15 by t/053.
SELECT sqrt(2::numeric), sqrt(0::numeric), sqrt(1e-10::numeric), sqrt(12345678901234567890::numeric), sqrt(2), sqrt(2.0)
SELECT sqrt(0.0000000000000000000000000000000000000001), sqrt(99999999999999999999.99999), sqrt('NaN'::numeric), sqrt('Infinity'::numeric)
SELECT exp(1::numeric), exp(1.5), exp(0.0), exp(-1.5), exp(100::numeric), exp(-100::numeric), exp(1), exp(1::float8)
SELECT exp(1234.5678), exp(-5000.5), exp('NaN'::numeric), exp('Infinity'::numeric), exp('-Infinity'::numeric)
SELECT ln(2::numeric), ln(10::numeric), ln(1.0001), ln(0.9999), ln(1e-100), ln(1e100::numeric), ln(2), ln(1::numeric)
SELECT ln(1234.5678), ln(0.000000000000000000000000000000000000000000000000000000000000000000000001), ln('Infinity'::numeric)
SELECT log(2::numeric), log(100::numeric), log10(0.001::numeric), log(2, 8::numeric), log(2.0, 1024), log(10), log10(10)
SELECT log(1234.5678), log(0.5, 0.25), log(7, 123456789012345678901234567890), log('Infinity'::numeric, 2), log(2, 'Infinity'::numeric)
SELECT 2::numeric ^ 3, 2.0 ^ 0.5, 0.5::numeric ^ 17, (-2)::numeric ^ 3, 1.5 ^ 100, 2::numeric ^ (-3), 10::numeric ^ -20
SELECT 0::numeric ^ 0, 0::numeric ^ 1.5, 'NaN'::numeric ^ 0, 1::numeric ^ 'NaN', 'Infinity'::numeric ^ 2, 2::numeric ^ '-Infinity'::numeric
SELECT (-1)::numeric ^ 'Infinity'::numeric, 0.5 ^ 'Infinity'::numeric, '-Infinity'::numeric ^ 3, '-Infinity'::numeric ^ 2, '-Infinity'::numeric ^ -3
SELECT 1.000001 ^ 1000000, 3.789 ^ 21, 3.789 ^ 35, 0.12 ^ (-20), 1.2 ^ 345, 0.12 ^ (-25), 10.0 ^ -2147483648
SELECT power(2, 10), power(2::numeric, 10), power(2.5, 2), pow(2, 0.5), power(1.0001, 10000), power(8::numeric, 1.0 / 3)
SELECT pg_typeof(sqrt(2::numeric)), pg_typeof(power(2::numeric, 2)), pg_typeof(2::numeric ^ 2)
SELECT 0::numeric ^ -1
SELECT (-2)::numeric ^ 1.5
SELECT 10.0 ^ 2147483647
SELECT ln(0::numeric)
SELECT ln(-1::numeric)
SELECT log(-2::numeric)
SELECT log(0::numeric, 5)
SELECT sqrt(-1::numeric)
SELECT sqrt('-Infinity'::numeric)
SELECT exp(10000::numeric)
SELECT exp(-10000::numeric) = 0
SELECT log(1, 5::numeric)
SELECT exp(710::float8)
SELECT exp(-760::float8)
SELECT ln(0::float8)
SELECT ln(-1::float8)
SELECT log10(-1::float8)
SELECT exp('NaN'::float8), ln('Infinity'::float8), exp('-Infinity'::float8), log10(1000::float8), log(1000::float8), ln(2.5::float8)
CREATE TABLE nm17 (a numeric(10,4), b numeric, f float8)
INSERT INTO nm17 VALUES (2, 3, 2.5), (1.5, 0.5, 100), (NULL, 2, NULL), (0.25, -1, 1e-5)
SELECT a, sqrt(a), exp(a), ln(a), log(a), a ^ b, power(b, a), exp(f), ln(f), log(f) FROM nm17 ORDER BY a
SELECT power(float8 'NaN', float8 '0.5'), power(float8 '144', float8 'NaN'), power(float8 '1', float8 'NaN'), power(float8 'NaN', float8 '0'), power(float8 '-1', float8 'Infinity'), power(float8 '0.5', float8 '-Infinity')
SELECT power(float8 '-Infinity', float8 '3'), power(float8 '-Infinity', float8 '2'), power(float8 '-Infinity', float8 '-3'), power(float8 'Infinity', float8 '-2'), 2 ^ 10, 2.5::float8 ^ 0.5, (-8)::float8 ^ 3
SELECT power(0::float8, -1)
SELECT power(-8::float8, 0.5)
SELECT 10::float8 ^ 400
SELECT 10::float8 ^ -400
SELECT sinh(1::float8), cosh(1::float8), tanh(1::float8), asinh(1::float8), acosh(2::float8), atanh(0.5::float8), cbrt(27::float8), cbrt(-2)
SELECT sinh('Infinity'::float8), sinh('-Infinity'::float8), sinh('NaN'::float8), cosh('-Infinity'::float8), tanh('Infinity'::float8), atanh(1::float8), atanh(-1::float8), acosh('NaN'::float8)
SELECT acosh(0.5::float8)
SELECT atanh(2::float8)
SELECT |/ 25, |/ 2.0, ||/ 27::float8, ||/ -8, |/ 2::float8 * 2
SELECT |/ -1::float8
SELECT |/ 'abc'::text
