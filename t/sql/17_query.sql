-- Query forms and schema objects (issue 17) compared with PostgreSQL 15 by
-- t/053: column aliases on FROM items, TEMP tables, CREATE TABLE AS and
-- SELECT INTO.  One statement per line.
SELECT * FROM (SELECT 1, 'a') AS s(x, y)
SELECT a, b FROM (VALUES (1, 'x'), (2, 'y'), (3, NULL)) AS v(a, b) ORDER BY a DESC
SELECT s.x, s.z FROM (SELECT 1 AS y, 2 AS z) s(x)
SELECT v.n * 2 FROM (VALUES (1.5), (2)) v(n) ORDER BY 1
SELECT * FROM (SELECT 1, 2) AS s(a, b, c)
SELECT t.a FROM (SELECT 1 AS x) AS t(a) WHERE t.a = 1
SELECT x FROM (SELECT 1 AS x) AS t(a)
SELECT count(*) FROM (VALUES (1), (2)) v(n) JOIN (VALUES (2), (3)) w(m) ON v.n = w.m
SELECT g.i FROM generate_series(1, 3) AS g(i) ORDER BY g.i DESC
SELECT (SELECT q.k FROM (SELECT o.n + 10) AS q(k)) FROM (VALUES (1), (2)) o(n) ORDER BY 1
CREATE TEMP TABLE q17_tmp (a int, b text) -- shard
INSERT INTO q17_tmp VALUES (1, 'x'), (2, 'y'), (3, NULL) -- shard
SELECT * FROM q17_tmp ORDER BY a -- shard
CREATE TEMP TABLE q17_tmp (c int) -- shard
CREATE TABLE q17_ctas AS SELECT a, b, 'lit' AS c, a * 2 AS d, a::float8 / 2 AS e FROM q17_tmp -- shard
SELECT * FROM q17_ctas ORDER BY a -- shard
SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'q17_ctas' ORDER BY ordinal_position -- shard
CREATE TABLE q17_ctas2 (x, y) AS SELECT 1, 'two' -- shard
SELECT x, y, x + 1 FROM q17_ctas2 -- shard
CREATE TABLE q17_ctas2 AS SELECT 1 -- shard
CREATE TABLE IF NOT EXISTS q17_ctas2 AS SELECT 1 -- shard
CREATE TABLE q17_ctas3 (x, y, z) AS SELECT 1, 2 -- shard
CREATE TABLE q17_ctas3 (x, x) AS SELECT 1, 2 -- shard
CREATE TABLE q17_ctas4 AS SELECT * FROM q17_tmp WHERE a > 1 WITH NO DATA -- shard
SELECT count(*) FROM q17_ctas4 -- shard
SELECT a, b INTO q17_into FROM q17_tmp WHERE b IS NOT NULL ORDER BY a -- shard
SELECT * FROM q17_into ORDER BY a -- shard
SELECT 1 AS one INTO TEMP q17_into_tmp -- shard
SELECT one FROM q17_into_tmp -- shard
CREATE TEMP TABLE q17_tmp2 AS SELECT g.i FROM generate_series(1, 3) g(i) -- shard
SELECT sum(i) FROM q17_tmp2 -- shard
DROP TABLE q17_tmp2 -- shard
SELECT * FROM q17_tmp2 -- shard
CREATE TABLE q17_la (id int, n int, name text)
INSERT INTO q17_la VALUES (1, 2, 'one'), (2, 0, 'two'), (3, 3, NULL)
CREATE TABLE q17_lb (aid int, v int, flag boolean)
INSERT INTO q17_lb VALUES (1, 15, true), (1, 2, false), (3, 10, NULL), (3, 5, true)
SELECT a.id, s.total, s.cnt FROM q17_la a, LATERAL (SELECT sum(b.v) AS total, count(*) AS cnt FROM q17_lb b WHERE b.aid = a.id) s ORDER BY a.id
SELECT a.id, s.v, s.flag FROM q17_la a LEFT JOIN LATERAL (SELECT b.v, b.flag FROM q17_lb b WHERE b.aid = a.id ORDER BY b.v DESC LIMIT 1) s ON true ORDER BY a.id
SELECT a.id, s.* FROM q17_la a CROSS JOIN LATERAL (SELECT a.n * 2 AS dbl, a.name || '!' AS bang) s ORDER BY a.id
SELECT a.id, x.k FROM q17_la a, LATERAL (SELECT b.v FROM q17_lb b WHERE b.aid = a.id) AS x(k) WHERE x.k > 5 ORDER BY a.id, x.k
SELECT * FROM q17_la a JOIN LATERAL (SELECT a.id + 100 AS big) s ON s.big > 101 ORDER BY 1
SELECT a.id, s.m FROM q17_la a, LATERAL (SELECT max(v) AS m FROM q17_lb WHERE aid = a.id) s WHERE s.m IS NULL ORDER BY 1
SELECT * FROM (SELECT 1 AS x) t, LATERAL (SELECT t.x + 1 AS y) u, LATERAL (SELECT u.y * 10 AS z) w
SELECT * FROM q17_la a, (SELECT a.id) s
CREATE TABLE q17_vt (id int PRIMARY KEY, name text, score numeric(6,2)) -- shard
INSERT INTO q17_vt VALUES (1, 'a', 1.5), (2, 'b', 20), (3, 'c', NULL) -- shard
CREATE VIEW q17_vv AS SELECT id, name, score * 2 AS dbl FROM q17_vt WHERE id < 3 -- shard
SELECT * FROM q17_vv ORDER BY id -- shard
CREATE VIEW q17_vvv (ident, nm) AS SELECT id, name FROM q17_vv -- shard
SELECT * FROM q17_vvv ORDER BY 1 -- shard
SELECT v.nm, t.score FROM q17_vvv v JOIN q17_vt t ON t.id = v.ident ORDER BY 1 -- shard
CREATE VIEW q17_vv AS SELECT 1 -- shard
CREATE OR REPLACE VIEW q17_vv AS SELECT id, name, score * 3 AS dbl FROM q17_vt -- shard
SELECT * FROM q17_vv ORDER BY id -- shard
SELECT table_name, table_type FROM information_schema.tables WHERE table_name LIKE 'v17%' ORDER BY 1 -- shard
SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'q17_vvv' ORDER BY ordinal_position -- shard
DROP VIEW q17_vt -- shard
DROP TABLE q17_vvv -- shard
DROP VIEW q17_vvv -- shard
DROP VIEW IF EXISTS q17_vvv -- shard
SELECT * FROM q17_vvv -- shard
CREATE VIEW q17_vc (a, b, c) AS SELECT 1, 2 -- shard
CREATE TEMP VIEW q17_vtv AS SELECT count(*) AS n FROM q17_vt -- shard
SELECT n FROM q17_vtv -- shard
CREATE TABLE q17_ft (id int, name text, qty int) -- shard
INSERT INTO q17_ft VALUES (1, 'a', 10), (2, 'b', 20), (3, 'a', 5) -- shard
CREATE FUNCTION q17_fadd(a int, b int) RETURNS int LANGUAGE sql AS 'SELECT a + b' -- shard
SELECT q17_fadd(1, 2), q17_fadd(id, qty) FROM q17_ft ORDER BY id -- shard
CREATE FUNCTION q17_fqty(text) RETURNS bigint AS $$ SELECT sum(qty) FROM q17_ft WHERE name = $1 $$ LANGUAGE sql -- shard
SELECT name, q17_fqty(name) FROM q17_ft ORDER BY id -- shard
SELECT q17_fqty('zz'), q17_fqty(NULL) -- shard
CREATE FUNCTION q17_fdbl(x numeric) RETURNS numeric LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT x * 2 $$ -- shard
SELECT q17_fdbl(1.25), q17_fdbl(NULL), q17_fdbl(3) -- shard
CREATE FUNCTION q17_fnest(int) RETURNS int LANGUAGE sql AS 'SELECT q17_fadd($1, q17_fadd($1, 1))' -- shard
SELECT q17_fnest(5) -- shard
CREATE FUNCTION q17_fadd(a int, b int) RETURNS int LANGUAGE sql AS 'SELECT a - b' -- shard
CREATE OR REPLACE FUNCTION q17_fadd(a int, b int) RETURNS int LANGUAGE sql AS 'SELECT a * b' -- shard
SELECT q17_fadd(3, 4) -- shard
CREATE FUNCTION q17_fbad(int) RETURNS int LANGUAGE sql AS 'SELECT 1, 2' -- shard
CREATE FUNCTION q17_fbad2(int) RETURNS int LANGUAGE sql AS 'SELECT nope FROM q17_ft' -- shard
CREATE FUNCTION q17_ftxt() RETURNS text LANGUAGE sql AS $$ SELECT 'hello' $$ -- shard
SELECT q17_ftxt(), upper(q17_ftxt()) -- shard
CREATE FUNCTION q17_ffirst(int) RETURNS text LANGUAGE sql AS $$ SELECT name FROM q17_ft WHERE qty > $1 ORDER BY qty $$ -- shard
SELECT q17_ffirst(6), q17_ffirst(100) -- shard
SELECT * FROM q17_ft WHERE q17_fadd(id, 1) > 4 ORDER BY id -- shard
DROP FUNCTION q17_fnest(int) -- shard
SELECT q17_fnest(5) -- shard
DROP FUNCTION q17_fnest(int) -- shard
DROP FUNCTION IF EXISTS q17_fnest(int) -- shard
DROP FUNCTION q17_ftxt -- shard
SELECT q17_fadd(1) -- shard
SELECT t.id, q17_fqty(t.name) FROM q17_ft t JOIN q17_ft u ON u.id = t.id ORDER BY 1 -- shard
CREATE TABLE q17_w (g int, v int) -- shard
INSERT INTO q17_w VALUES (1, 10), (1, 20), (2, 5), (2, 7), (2, 9) -- shard
SELECT g, v, row_number() OVER w, rank() OVER w FROM q17_w WINDOW w AS (PARTITION BY g ORDER BY v DESC) ORDER BY g, v -- shard
SELECT g, v, count(*) OVER (w ORDER BY v) FROM q17_w WINDOW w AS (PARTITION BY g) ORDER BY g, v -- shard
SELECT g, v, row_number() OVER w2 FROM q17_w WINDOW w1 AS (PARTITION BY g), w2 AS (w1 ORDER BY v) ORDER BY g, v -- shard
SELECT row_number() OVER nope FROM q17_w -- shard
SELECT count(*) OVER (w ORDER BY v) FROM q17_w WINDOW w AS (ORDER BY g) -- shard
SELECT g, v FROM q17_w WINDOW w AS (PARTITION BY g) ORDER BY 1, 2 -- shard
CREATE TABLE q17_r (a int, b int, c text) -- shard
INSERT INTO q17_r VALUES (1, 1, 'x'), (20, 0, 'y'), (99, 9, 'z'), (17, 98, NULL) -- shard
SELECT * FROM q17_r WHERE (a, b) IN (VALUES (1, 1), (20, 0), (99, 9), (17, 99)) ORDER BY a -- shard
SELECT * FROM q17_r WHERE (a, b) NOT IN (SELECT b, a FROM q17_r WHERE b = 1) ORDER BY a -- shard
SELECT a, (a, b) < (20, 1), ROW(a, b) = ROW(1, 1), (a, b) <> (99, 9) FROM q17_r ORDER BY a -- shard
SELECT ROW(1, 2) = (SELECT 1, 2), ROW(1, 2) = (SELECT 3, 4) -- shard
SELECT (1, 2) < (1, 3), (1, NULL) = (1, 2), (1, NULL) = (2, 2), (2, 'a') > (1, 'b') -- shard
SELECT count(*) FROM q17_r WHERE (a, c) = (1, 'x') -- shard
SELECT * FROM q17_r WHERE (a, b) = ANY (SELECT a, b FROM q17_r WHERE c IS NULL) -- shard
SELECT (1, 2) < (1, 3), (1, NULL) = (1, 2), (2, 'a') > (1, 'b')
CREATE TABLE q17_u (id int PRIMARY KEY, a int, b text DEFAULT 'dflt') -- shard
INSERT INTO q17_u VALUES (1, 10, 'x'), (2, 20, 'y') -- shard
UPDATE q17_u SET (a, b) = (a + 1, 'z') WHERE id = 1 -- shard
UPDATE q17_u SET (b, a) = (DEFAULT, 99) WHERE id = 2 -- shard
SELECT * FROM q17_u ORDER BY id -- shard
UPDATE q17_u SET (a, b) = (SELECT q17_u.a * 100, x || '!' FROM (VALUES ('v')) v(x)) -- shard
SELECT * FROM q17_u ORDER BY id -- shard
UPDATE q17_u SET (a, b) = (1) -- shard
UPDATE q17_u SET (a, b) = (SELECT 1) -- shard
UPDATE q17_u SET (a, b) = (1, 'q') RETURNING * -- shard
SELECT coalesce(1), coalesce(NULL::int), coalesce(2.50), coalesce(NULL)
