-- Date/time input the decoders must bound (fuzz/fuzz_values found a stack
-- overflow in the zone of a long signed field) and typmods applied to every
-- input, 'now' included; compared with PostgreSQL 15 by t/053: one
-- statement per line.
SELECT '+3333333333333333333333333333333333333333333333333333333333333333333333333333333333333%ny'::date
SELECT '2024-01-01 +3333333333333333333333333333333333333333333333333333333333333333333333333333333333333'::timestamptz
SELECT '10:00 -3333333333333333333333333333333333333333333333333333333333333333333333333333333333333'::timetz
SELECT '2024-01-01 040506+3333333333333333333333333333333333333333333333333333333333333333333333333333333333333'::timestamp
SELECT length('now'::time(1)::text) <= 10, length('now'::timestamp(2)::text) <= 22, length('now'::timestamptz(0)::text) = 22, length('now'::timetz(0)::text) <= 11
SELECT length(('tomorrow'::timestamp(0) + interval '12:34:56.789')::timestamp(1)::text)
SELECT '12:34:56.789+02'::timetz(1), '12:34:56.789'::timetz(2), '23:59:59.99'::timetz(1), '12:34:56.789'::time(1), '2024-01-01 12:34:56.789'::timestamp(1)
CREATE TABLE ib18 (a timetz(1), b time(0), c timestamptz(2))
INSERT INTO ib18 VALUES ('12:34:56.789+02', '12:34:56.789', '2024-01-01 12:34:56.789+00')
SELECT a, b, c FROM ib18
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'ib18'::regclass AND attnum > 0 ORDER BY attnum
SELECT '2024-01-01 +33333333'::timestamptz
SELECT '2024-01-01 +3a'::timestamptz
SELECT '10:00+16'::timetz
SELECT '10:00+05:60'::timetz
SELECT '2024-01-01 040506-99'::timestamptz
SELECT '2024-01-01 12:00 +05:30'::timestamptz, '2024-01-01 12:00-0530'::timestamptz, '2024-01-01 040506-08'::timestamptz, '10:00+15:59'::timetz, '2024-06-01 12:00:00-07'::timestamptz, '2024-06-01 12:00:00+05:30:15'::timestamptz
SELECT '44444444444444444405:30'::timetz
SELECT '{""}'::text[], '{"",""}'::text[], '{""}'::int[]
SELECT '442204-10-27 02:30+2'::timetz, '-442204-10-27 02:30+2'::timetz
SELECT interval '0 days' * 'infinity'::float8
SELECT interval '0 days' * '-infinity'::float8
SELECT '73.8e91'::time
SELECT 'T1234.5'::time, '20240101T101112.25'::timestamp, '2024-01-01 101112.125'::timestamp
-- interval numbers have no exponent except in the ISO form (DecodeInterval
-- reads digits; ParseISO8601Number reads strtod's number)
SELECT '1e3 days'::interval;
SELECT '-5e16377777777777777777777y'::interval;
SELECT '1.5e3 days'::interval;
SELECT '. hours'::interval;
SELECT 'P1.5e1D'::interval, 'PT1.5e1M'::interval;
SELECT 'P1e400D'::interval;
SELECT 'P1e20D'::interval;
