-- Wrong answers of issue 16 fixed: aggregates beside a NULL constant, HAVING
-- without GROUP BY, float -0 and NaN, AT TIME ZONE, polymorphic unknowns;
-- compared with PostgreSQL 15 by t/053_pg_examples.pl: one statement per line.
CREATE TABLE c19_z (id int PRIMARY KEY, x int, f float8, r real)
INSERT INTO c19_z VALUES (1, 0, '-0', '-0'), (2, 1, 'NaN', 'NaN'), (3, NULL, 1.5, 1.5)
SELECT sum(1 / x) + NULL FROM c19_z
SELECT sum(1 / x) + NULL, count(*), NULL * max(1 / x), min(1 / x) - NULL::int FROM c19_z
SELECT x, max(1 / x) + NULL FROM c19_z GROUP BY x ORDER BY x
SELECT mod(sum(1 / x), NULL), abs(NULL::int) + count(1 / x) FROM c19_z
SELECT sum(1 / x) FILTER (WHERE 1 / x > 0) * NULL FROM c19_z
SELECT count(*) + NULL FROM c19_z WHERE false
SELECT sum(1 / 0) + NULL FROM c19_z
SELECT sum(1 / x) IN (SELECT 1 WHERE false) FROM c19_z
SELECT 1 FROM c19_z HAVING sum(1 / x) + NULL IS NULL
SELECT 1 AS k FROM c19_z HAVING sum(x) > 0
SELECT 1 AS k, count(*) FROM c19_z HAVING count(*) > 1
SELECT 'one' FROM c19_z HAVING true
SELECT x FROM c19_z HAVING true
SELECT x + 1 FROM c19_z HAVING min(x) >= 0
