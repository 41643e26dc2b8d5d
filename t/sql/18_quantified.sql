-- x op ANY (subquery) and x op ALL (subquery) for every comparison
-- operator, with NULLs on either side, no rows, correlated, over numeric,
-- text, dates and floats; compared with PostgreSQL 15 by t/053: one
-- statement per line.
CREATE TABLE q18 (id int PRIMARY KEY, n numeric(6,2), t text, d date, f float8, g int)
INSERT INTO q18 VALUES (1, 1.50, 'b', '2024-01-02', 1.5, 1), (2, 2.00, 'a', '2023-12-31', 'NaN', 1), (3, NULL, NULL, NULL, NULL, 2), (4, -3.25, 'c', '2024-02-29', -0.5, 2), (5, 2, 'B', '2024-01-02', 'Infinity', 3)
SELECT id, n > ALL (SELECT n FROM q18 WHERE g = 1), n >= ALL (SELECT n FROM q18 WHERE g = 1), n < ANY (SELECT n FROM q18 WHERE g = 2), n <= ANY (SELECT n FROM q18 WHERE g = 3) FROM q18 ORDER BY id
SELECT id, n <> ALL (SELECT n FROM q18 WHERE id < 3), n = ALL (SELECT 2.0 UNION ALL SELECT 2), n != ANY (SELECT n FROM q18 WHERE id > 3), n = ANY (SELECT n FROM q18 WHERE g = 3) FROM q18 ORDER BY id
SELECT id, t > ALL (SELECT t FROM q18 WHERE t IS NOT NULL AND id <> 4), t < ANY (SELECT t FROM q18 WHERE id <> 4), t >= ALL (SELECT t FROM q18 WHERE false) FROM q18 ORDER BY id
SELECT id, d > ANY (SELECT d FROM q18 WHERE g = 2), d <= ALL (SELECT d FROM q18 WHERE d IS NOT NULL), f < ALL (SELECT f FROM q18 WHERE id IN (1, 2)), f > ANY (SELECT f FROM q18 WHERE id = 5) FROM q18 ORDER BY id
SELECT id FROM q18 o WHERE o.n >= ALL (SELECT i.n FROM q18 i WHERE i.g = o.g AND i.n IS NOT NULL) ORDER BY id
SELECT id FROM q18 o WHERE o.id < ANY (SELECT i.g * 2 FROM q18 i WHERE i.t > o.t) ORDER BY id
SELECT id FROM q18 WHERE NOT (n > ALL (SELECT n FROM q18 WHERE g = 2)) ORDER BY id
SELECT id, (id > ALL (SELECT g FROM q18)) IS NULL, id > ALL (SELECT NULL::int WHERE false), id < ANY (SELECT NULL::int) FROM q18 ORDER BY id
SELECT 3 > ALL (SELECT 1 UNION SELECT 2), 2 > ALL (SELECT 1 UNION SELECT 2), 1 > ALL (SELECT 1 WHERE false), 3 > ALL (SELECT NULL::int UNION SELECT 1), 0 < ANY (SELECT NULL::int UNION SELECT -1)
SELECT '1.5' > ALL (SELECT n FROM q18 WHERE id = 4), 1 = ANY (SELECT g FROM q18) AND 1 < ALL (SELECT 2)
SELECT g, count(*) FROM q18 GROUP BY g HAVING g > ANY (SELECT id - 3 FROM q18) ORDER BY g
SELECT 1 > ALL (SELECT 1, 2)
SELECT 1 < ANY (SELECT 1, 2)
SELECT (SELECT x FROM (VALUES (1),(2)) v(x))
SELECT id, (SELECT i.g FROM q18 i WHERE i.g = o.g) FROM q18 o ORDER BY id
SELECT id, (SELECT i.id FROM q18 i WHERE i.id = o.id + 1), (SELECT max(i.id) FROM q18 i WHERE i.g = o.g), (SELECT i.id FROM q18 i WHERE i.g = o.g ORDER BY i.id LIMIT 1) FROM q18 o ORDER BY 1
SELECT id FROM q18 o WHERE o.g = (SELECT i.g FROM q18 i WHERE i.id = o.id % 3 + 1) ORDER BY id
SELECT id FROM q18 o WHERE o.g = (SELECT i.g FROM q18 i WHERE i.g > 1) ORDER BY id
UPDATE q18 SET g = (SELECT g FROM q18 WHERE g = 1)
SELECT (SELECT t FROM q18 WHERE id = 1) || '!', (SELECT d FROM q18 WHERE id = 4) > '2024-01-01', (SELECT n FROM q18 WHERE id = 5) = 2
SELECT 1 AS a, 2 AS a ORDER BY a
SELECT id AS a, id AS a FROM q18 ORDER BY a
SELECT o.id, i.id FROM q18 o JOIN q18 i ON i.g = o.g ORDER BY id
SELECT o.id, i.g AS id FROM q18 o JOIN q18 i ON i.id = o.id ORDER BY 1
