-- Date and time operators and functions (issue 17), compared with PostgreSQL 15 by
-- t/053_pg_examples.pl: one statement per line.
SET TimeZone = 'PST8PDT'
SELECT date '2024-01-31' + 1, date '2024-03-01' - 1, date '2024-03-01' - date '2024-01-01'
SELECT 7 + date '2024-01-31'
SELECT date '2024-01-31' + interval '1 month', date '2024-01-31' - interval '1 day 2 hours'
SELECT timestamp '2024-01-31 10:00' + interval '1 month 1 day 01:02:03.5'
SELECT timestamptz '2024-03-09 12:00-08' + interval '1 day', timestamptz '2024-03-09 12:00-08' + interval '24 hours'
SELECT timestamp '2024-03-10 12:00' - timestamp '2024-01-01 00:00:01'
SELECT timestamptz '2024-03-10 12:00+00' - timestamptz '2024-01-01 00:00:01+05'
SELECT interval '1 day' * 2, 2 * interval '1 hour', interval '1 month' / 3, interval '1 mon 3 days' * 1.5
SELECT - interval '1 day 02:00', interval '1 day' + interval '3 hours', interval '1 day' - interval '3 hours'
SELECT time '10:00' + interval '15 hours', time '10:00' - time '08:30', date '2024-01-01' + time '10:30'
SELECT date '2024-01-01' < timestamp '2024-01-01 00:00:01', date '2024-01-01' = timestamptz '2024-01-01 00:00-08'
SELECT extract(year from timestamp '2024-05-06 07:08:09.5'), extract(second from timestamp '2024-05-06 07:08:09.5')
SELECT extract(epoch from timestamptz '2024-05-06 07:08:09.5+00'), date_part('epoch', timestamptz '2024-05-06 07:08:09.5+00')
SELECT extract(dow from date '2024-05-05'), extract(isodow from date '2024-05-05'), extract(doy from date '2024-05-05'), extract(week from date '2024-12-30'), extract(isoyear from date '2024-12-30')
SELECT extract(century from date '2000-01-01'), extract(millennium from date '2001-01-01'), extract(decade from date '2024-01-01')
SELECT extract(hour from timestamptz '2024-05-06 07:08:09+00'), extract(timezone from timestamptz '2024-05-06 07:08:09+00')
SELECT extract(epoch from interval '1 year 2 mons 3 days 04:05:06.7'), extract(month from interval '14 months'), date_part('hour', interval '30 hours')
SELECT extract(hour from date '2024-01-01')
SELECT extract(foo from date '2024-01-01')
SELECT date_part('year', date '2024-02-03'), date_part('second', time '10:11:12.25')
SELECT date_trunc('month', timestamp '2024-05-06 07:08:09'), date_trunc('week', timestamp '2024-05-08 07:08:09'), date_trunc('hour', timestamptz '2024-05-06 07:08:09+00')
SELECT date_trunc('day', timestamptz '2024-03-10 12:00+00'), date_trunc('day', timestamptz '2024-03-10 12:00+00', 'Europe/Paris'), date_trunc('quarter', date '2024-05-06')
SELECT date_trunc('hour', interval '1 day 10:11:12'), date_trunc('year', interval '3 years 4 mons')
SELECT age(timestamp '2024-03-01', timestamp '2023-01-31'), age(timestamp '2023-01-31', timestamp '2024-03-01'), age(timestamptz '2024-03-01 00:00+00', timestamptz '2023-01-31 12:00+00')
SELECT make_date(2024, 2, 29), make_date(-44, 3, 15), make_time(10, 11, 12.5), make_timestamp(2024, 1, 2, 3, 4, 5.25), make_timestamptz(2024, 1, 2, 3, 4, 5, 'UTC')
SELECT make_date(2023, 2, 29)
SELECT make_interval(1, 2, 3, 4, 5, 6, 7.5), make_interval(days => 10), make_interval(hours => 1, secs => 2)
SELECT justify_days(interval '35 days'), justify_hours(interval '27 hours'), justify_interval(interval '1 mon -1 hour')
SELECT date_bin('15 minutes', timestamp '2024-01-01 10:22:33', timestamp '2000-01-01'), date_bin('1 hour', timestamp '1999-12-31 22:30', timestamp '2000-01-01')
SELECT timestamptz '2024-01-01 12:00+00' AT TIME ZONE 'Asia/Tokyo', timestamp '2024-01-01 12:00' AT TIME ZONE 'UTC', timestamp '2024-07-01 12:00' AT TIME ZONE 'America/New_York'
SELECT to_timestamp(1700000000.5), to_timestamp(0)
SELECT isfinite(date 'infinity'), isfinite(timestamp '2024-01-01')
SELECT now() - interval '7 days' < now(), current_date + 1 > current_date, now() - now()
SELECT age(timestamp '2000-01-01') > interval '1 year'
SELECT timestamp 'infinity' + interval '1 day', timestamp 'infinity' - timestamp '2000-01-01'
SELECT date '2024-01-01' - 1000000000
SELECT interval '1 day' / 0
SELECT date 'January 8, 1999', date 'Jan-08-1999', date 'Jan 08 1999', date 'J2451187', date '990108', date '1999.008', date '1999-Jan-08', date '1999 Jan 08', date '1999 08 Jan', date '1999 08 01', date '1999 01 08', date '08-Jan-1999', date '08 Jan 1999', date '01/02/03'
SELECT date 'January 8, 99 BC', date 'Jan-08-99', date '1/8/1999', date '08-Jan-99', date '08-01-1999', date '08 01 99', date '01 08 1999', date '01-08-1999'
SELECT timestamp 'Jan 1, 4713 BC', timestamp 'Feb 16 17:32:01 1997', timestamptz 'Feb 10 17:32:01 1997', timestamp 'Mon Feb 10 17:32:01.5 1997 PST', timestamptz 'Mon Feb 10 17:32:01.5 1997 PST', timestamp 'Feb-10-1997 17:32:01 PST', timestamp 'Jun 13 1957', timestamp 'Feb 16 17:32:01 0097 BC'
SELECT timestamp 'yesterday 12:34:56' = date_trunc('day', localtimestamp) - interval '1 day' + interval '12:34:56', timestamp 'today 10:30' = date_trunc('day', localtimestamp) + interval '10:30'
SELECT timestamptz 'Feb 10 17:32:01 1997 America/New_York', timestamptz '12/10/1997 17:32:01 -08', timestamptz 'Dec 10 1997 5:32:01 PM'
SELECT date '1999 08 08 08'
SELECT timestamptz '2024-01-01 10:00', '2024-01-01 10:00'::timestamptz
SELECT timestamptz 'Jan 1 2024 10:00'
SELECT to_char(timestamp '2024-05-06 07:08:09.123456', 'YYYY-MM-DD HH24:MI:SS.MS US'), to_char(timestamp '2024-05-06 17:08:09', 'Day, DD Month YYYY HH12:MI AM')
SELECT to_char(timestamp '2024-05-06 17:08:09', 'FMDay, FMDD FMMonth YYYY'), to_char(timestamp '2024-05-06', 'DY dy Dy MON mon Mon'), to_char(timestamp '2024-05-06', 'DDD D ID IW WW W Q CC J RM rm')
SELECT to_char(timestamptz '2024-05-06 17:08:09+00', 'YYYY-MM-DD HH24:MI:SS TZ tz OF TZH:TZM'), to_char(timestamp '2024-01-01', 'DDth DDTH FMDDth Mon-YY "Week" IW IYYY')
SELECT to_char(timestamp '0097-02-16 17:32:01 BC', 'YYYY BC b.c. A.D.'), to_char(timestamp '2024-05-06 00:30', 'HH HH12 am p.m. SSSS FF1 FF3')
SELECT to_char(interval '1 year 2 mons 3 days 04:05:06', 'YYYY MM DD HH24:MI:SS'), to_char(timestamp 'infinity', 'YYYY')
SELECT to_char(485, '999'), to_char(-485, '999'), to_char(0, '999'), to_char(0.5, '9.99'), to_char(-0.5, '9.99'), to_char(12, '9990.99'), to_char(1485, '9,999'), to_char(148.5, '999.999')
SELECT to_char(148.5, 'FM999.999'), to_char(148.5, 'FM999.990'), to_char(3148.5, '9G999D999'), to_char(-485, '999S'), to_char(-485, '999MI'), to_char(485, '999MI'), to_char(485, 'FM999MI')
SELECT to_char(485, 'PL999'), to_char(485, 'SG999'), to_char(-485, '999PR'), to_char(12, '99V999'), to_char(485, 'RN'), to_char(485, 'FMRN'), to_char(485, '999th'), to_char(12345, '999')
SELECT to_char(-12, '0000'), to_char(-12, '9999'), to_char(-12, 'FM9999'), to_char(1234567.891, '9,999,999.99'), to_char(0.0004859, '9.99EEEE'), to_char(1.5::float8, '9.9'), to_char(-0.1, '99.99'), to_char(485, '9 9 9')
SELECT to_char(100, 'FM999.'), to_char(1, 'FM9.99'), to_char(10.5, 'FM00.00'), to_char(125.8::float8, '999D9'), to_char(0.1, '0.9'), to_char(12, 'S9999'), to_char(-12, 'S9999')
SELECT to_timestamp('2024-05-06 07:08:09', 'YYYY-MM-DD HH24:MI:SS'), to_timestamp('05 Dec 2000', 'DD Mon YYYY'), to_date('05 Dec 2000', 'DD Mon YYYY'), to_timestamp('20240506', 'YYYYMMDD')
SELECT to_timestamp('2011-12-18 11:38 PM', 'YYYY-MM-DD HH12:MI PM'), to_timestamp('2011-12-18 11:38 +05', 'YYYY-MM-DD HH12:MI TZH'), to_date('2020-366', 'YYYY-DDD'), to_timestamp('1997 Feb 14', 'YYYY Mon DD')
SELECT to_date('2021-02-30', 'YYYY-MM-DD')
SELECT justify_hours(interval '2147483647 days 24 hrs')
SELECT justify_interval(interval '2147483647 months 30 days')
SELECT '3000000 months'::interval / 0.001
SELECT '1 month 2146410 days'::interval * 1000.5002
SELECT '4611686018427387904 usec'::interval / 0.1
SELECT timestamp '294276-12-31 23:59:59' - timestamp '1999-12-23 19:59:04.224192' AS overflows
SELECT justify_interval(interval '1 mon -1 hour'), justify_days(interval '-35 days'), justify_hours(interval '-27 hours')
SELECT interval '1 2:03', interval '1 2:03:04', interval '1 2:03:04.5678', interval '1 month - 1 second', interval '-1 2:03:04'
SELECT interval '-2147483648 months -2147483648 days -9223372036854775807 us', interval '2147483647 months 2147483647 days 9223372036854775807 us'
SELECT interval '-2147483648 months -2147483648 days -9223372036854775808 us'
SELECT interval '2147483648 months'
SELECT -('-9223372036854775807 us'::interval), interval '2147483646 months 2147483646 days 9223372036854775806 us' + interval '1 month 1 day 1 us'
SELECT interval '2147483647 months 2147483647 days 9223372036854775807 us' + interval '1 us'
SELECT to_timestamp('10000000000', 'FMYYYY')
SELECT to_timestamp('200000', 'FMYYYY'), to_date('300000-01-01', 'YYYY-MM-DD')
SELECT timestamp without time zone 'Jan 1, 4713 BC' + interval '109203489 days', timestamp without time zone 'Jan 1, 4713 BC' + interval '107000000 days'
SELECT timestamp without time zone 'Jan 1, 4713 BC' + interval '109203490 days'
SET DateStyle = 'ISO, DMY'
SELECT date '08-01-1999', date '08 01 99', date '08 01 1999', date '1/8/1999', date 'Jan 08 99', date '08-Jan-99', date '1999-01-08'
SET DateStyle = 'ISO, YMD'
SELECT date '99-01-08', date '1999 01 08', date '99 Jan 08', date '1999-01-08'
SELECT date '08-01-1999'
SET DateStyle = 'ISO, MDY'
SELECT date '08-01-1999', timestamp '08/01/1999 10:00'
SELECT date '99-01-08'
SET TimeZone = 'PST8PDT'
SELECT timestamptz '20011227T040506-08', timestamptz '20011227T040506.789+08', timestamptz '20011227 040506-08', timestamptz '20011227 040506.789+08', timestamptz 'J2452271T040506-08', timestamptz 'J2452271.5+08', timestamptz 'J2452271-08', timestamptz 'J2452271T040506.789+08'
SELECT time 'T04:05:06.07', time 'T04:05', time 'T040506', time 'T0405', time '040506.07', time '040506', time 'T040506.07'
SELECT timetz 'T04:05:06.07+08', timetz 'T04:05+08', timetz 'T040506.789-08', timetz 'T040506.789 +08', timetz '040506+08', timetz '0405+08', timetz '040506.07+08'
SELECT timestamp '2001-12-27 T040506.789', timestamp '19970710 173201', timestamp 'Wed Jul 11 10:51:14 2001'
SELECT time '11:59:59.99 PM', time '15:36:39 EST', timestamp 'Feb 10 5:32PM 1997', timestamp '2001-12-27 04:05:06 Europe/Paris'
SELECT time '15:36:39 America/New_York'
SELECT timetz '15:36:39 America/New_York'
SELECT timestamp '19970710 173201 America/Does_not_exist'
SELECT timestamp 'Feb 16 17:32:01 5097 BC'
SELECT timetz '15:36:39 EST', timetz '2001-12-27 15:36:39 America/New_York', date '2001-12-27 PST'
SET TimeZone = 'PST8PDT'
SELECT * FROM generate_series(timestamp '2024-01-30', timestamp '2024-05-01', interval '1 month')
SELECT g FROM generate_series(timestamptz '2024-03-09 12:00-08', timestamptz '2024-03-12', '1 day') AS g
SELECT x, n FROM generate_series(date '2024-01-01', date '2024-01-03', interval '1 day') WITH ORDINALITY AS t(x, n)
SELECT count(*) FROM generate_series(timestamp '2024-01-10', timestamp '2024-01-01', interval '-1 day')
SELECT count(*) FROM generate_series(timestamp '2024-01-10', timestamp '2024-01-01', interval '1 day')
SELECT * FROM generate_series(timestamp '2024-01-10', timestamp '2024-01-01', interval '0')
SELECT * FROM generate_series(1, 3)
SELECT date '1995-08-06 epoch', date '1995-08-06 infinity', date '1995-08-06 -infinity', timestamp '1995-08-06 epoch', timestamp '1995-08-06 infinity', timestamp '1995-08-06 -infinity'
SELECT timestamptz 'epoch 01:01:01' = timestamptz 'epoch', timestamptz 'infinity 01:01:01', timestamptz '-infinity 01:01:01', timestamp 'epoch 01:01:01'
SELECT timestamp 'now epoch'
SELECT timestamp 'epoch 01:01:01'
SET TIME ZONE '04:30'
SELECT timestamptz '2012-12-12 12:00+00', current_setting('timezone')
SET TIME ZONE '-1.5'
SELECT timestamptz '2012-12-12 12:00+00', current_setting('timezone')
SET TIME ZONE '+2'
SELECT timestamptz '2012-12-12 12:00+00', current_setting('timezone')
SET TimeZone = 'UTC-2'
SELECT timestamptz '2012-12-12 12:00+00'
SET TimeZone = 'UTC'
SELECT to_timestamp('  2000 +JUN', 'YYYY/MON'), to_timestamp('2000  +JUN', 'YYYY//MON'), to_timestamp('2000 + JUN', 'YYYY MON'), to_timestamp('Fri 1-Jan-1999', 'DY DD MON YYYY')
SELECT to_timestamp('2016-06-13 15:50:60', 'YYYY-MM-DD HH24:MI:SS')
SELECT to_timestamp('2016-06-13 15:50:55', 'YYYY-MM-DD HH:MI:SS')
SELECT to_timestamp('2015-02-11 86400', 'YYYY-MM-DD SSSS')
SELECT to_timestamp('2015-02-11 86000', 'YYYY-MM-DD SSSS'), to_timestamp('2011-12-18 12:38', 'YYYY-MM-DD HH12:MI'), to_timestamp('2011-12-18 12:38 PM', 'YYYY-MM-DD HH12:MI PM')
SET TimeZone = 'PST8PDT'
CREATE TABLE t17_ev (id int PRIMARY KEY, created_at timestamptz, d date, span interval)
INSERT INTO t17_ev VALUES (1, '2023-03-12 01:30', '2023-03-12', '1 day'), (2, '2023-11-05 01:30-07', '2024-02-29', '36 hours'), (3, now() - interval '2 days', current_date - 3, '-1 mon'), (4, NULL, NULL, NULL)
SELECT id, created_at + interval '1 day', created_at + span, d + 1, d - date '2023-01-01', extract(dow from created_at), date_trunc('month', created_at), to_char(created_at, 'YYYY-MM-DD HH24:MI TZ') FROM t17_ev WHERE id < 3 ORDER BY id
SELECT count(*) FROM t17_ev WHERE created_at > now() - interval '7 days'
SELECT count(*) FROM t17_ev WHERE d >= current_date - 7 AND d < current_date + 1
SELECT id, age(timestamptz '2024-06-01', created_at), justify_interval(span * 3) FROM t17_ev WHERE id <> 3 ORDER BY id
SELECT date_trunc('day', created_at) AS day, count(*) FROM t17_ev WHERE id < 3 GROUP BY 1 ORDER BY 1
DROP TABLE t17_ev
BEGIN
SELECT timestamptz 'now' = now(), 'now'::timestamp = localtimestamp, 'today'::date = current_date
SELECT timestamptz 'now' = now(), 'now'::timestamp = localtimestamp
COMMIT
SELECT interval '1-2', interval '-1-2', interval '1-2 3 4:05:06', interval 'P0Y', interval 'P1Y0M3DT4H5M6S', interval 'P1.1Y0M3DT4H5M6S', interval 'P.1Y0M3DT4H5M6S', interval 'P10.5e4Y'
SELECT interval 'PT2562047788H54.775807S', interval 'PT-2562047788H-54.775808S', interval 'P1W', interval 'PT1.5M', interval 'P1M', interval 'PT1M'
SELECT interval '12:34.5678', interval '1 2:03.4567', interval '4 millenniums 5 centuries 4 decades 1 year 4 months 4 days 17 minutes 31 seconds'
SELECT interval '1 +2:03', interval '1 -2:03:04', interval '+1 -1:00:00', interval '-1 +02:03'
SELECT interval '1-13'
SELECT interval 'P1Y2'
SET TimeZone = 'PST8PDT'
SELECT now()::timestamp = localtimestamp, timestamptz '2024-01-01 03:00+00'::date, timestamptz '2024-01-01 03:00+00'::timestamp, timestamptz '2024-01-01 03:00+00'::time, current_date = now()::date
SELECT CAST(timestamptz 'infinity' AS timestamp), CAST(NULL::timestamptz AS date)
BEGIN
SELECT 'now'::timestamp = localtimestamp
COMMIT
RESET TimeZone
