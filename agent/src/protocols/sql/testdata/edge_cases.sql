# Hand-written cases: the dialects' lexical corners, the summary rules of the
# semantic conventions, and statements that must read the same whatever the
# number of values. Format and blessing: see golden.rs.

=== postgresql mysql unknown: semconv single operation
SELECT *
FROM wuser_table
WHERE username = 'bob'
>>> text: SELECT * FROM wuser_table WHERE username = ?
>>> summary: SELECT wuser_table
>>> operation: SELECT
>>> collection: wuser_table

=== postgresql mysql unknown: semconv insert select
INSERT INTO shipping_details
 (order_id,
 address)
SELECT order_id,
 address
FROM orders
WHERE order_id = 4711
>>> text: INSERT INTO shipping_details (order_id, address) SELECT order_id, address FROM orders WHERE order_id = ?
>>> summary: INSERT shipping_details SELECT orders
>>> operation: -
>>> collection: -

=== postgresql mysql unknown: semconv two tables
SELECT *
FROM songs,
 artists
WHERE songs.artist_id == artists.id
>>> text: SELECT * FROM songs, artists WHERE songs.artist_id == artists.id
>>> summary: SELECT songs artists
>>> operation: SELECT
>>> collection: -

=== postgresql mysql unknown: semconv anonymous table
SELECT order_date
FROM (SELECT *
 FROM orders o
 JOIN customers c
 ON o.customer_id = c.customer_id)
>>> text: SELECT order_date FROM (SELECT * FROM orders o JOIN customers c ON o.customer_id = c.customer_id)
>>> summary: SELECT SELECT orders customers
>>> operation: SELECT
>>> collection: -

=== postgresql unknown: django select by primary key
SELECT "app_item"."id", "app_item"."name" FROM "app_item" WHERE "app_item"."id" = 5 LIMIT 21
>>> text: SELECT "app_item"."id", "app_item"."name" FROM "app_item" WHERE "app_item"."id" = ? LIMIT ?
>>> summary: SELECT app_item
>>> operation: SELECT
>>> collection: app_item

=== postgresql unknown: join with schema
SELECT "public"."app_item"."id" FROM "public"."app_item" INNER JOIN "public"."app_order" ON ("app_item"."order_id" = "app_order"."id") WHERE "app_order"."total" > 10.50
>>> text: SELECT "public"."app_item"."id" FROM "public"."app_item" INNER JOIN "public"."app_order" ON ("app_item"."order_id" = "app_order"."id") WHERE "app_order"."total" > ?
>>> summary: SELECT public.app_item public.app_order
>>> operation: SELECT
>>> collection: -

=== postgresql mysql unknown: in list of one
SELECT id FROM t WHERE id IN (1)
>>> text: SELECT id FROM t WHERE id IN (?)
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: in list of three
SELECT id FROM t WHERE id IN (1, 2, 3)
>>> text: SELECT id FROM t WHERE id IN (?)
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: in list of strings without spaces
SELECT id FROM t WHERE name IN ('a','b','c') AND id NOT IN (4,5)
>>> text: SELECT id FROM t WHERE name IN (?) AND id NOT IN (?)
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql: in list of numbered placeholders
SELECT id FROM t WHERE id IN ($1, $2, $3, $4)
>>> text: SELECT id FROM t WHERE id IN ($1)
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== mysql unknown: in list of question marks
SELECT id FROM t WHERE id IN (?, ?, ?)
>>> text: SELECT id FROM t WHERE id IN (?)
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: in list of pyformat placeholders
SELECT id FROM t WHERE id IN (%s, %s) OR code IN (%(a)s, %(b)s)
>>> text: SELECT id FROM t WHERE id IN (%s) OR code IN (%(a)s)
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: in list with an expression stays
SELECT id FROM t WHERE id IN (1, 2, a + 3, 4)
>>> text: SELECT id FROM t WHERE id IN (?, a + ?, ?)
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: in list with a column stays
SELECT id FROM t WHERE id IN (1, b, 2)
>>> text: SELECT id FROM t WHERE id IN (?, b, ?)
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: in subquery
SELECT id FROM t WHERE id IN (SELECT t_id FROM u WHERE u.x = 'y')
>>> text: SELECT id FROM t WHERE id IN (SELECT t_id FROM u WHERE u.x = ?)
>>> summary: SELECT t SELECT u
>>> operation: SELECT
>>> collection: -

=== postgresql mysql unknown: values one tuple
INSERT INTO t (a, b) VALUES (1, 'x')
>>> text: INSERT INTO t (a, b) VALUES (?, ?)
>>> summary: INSERT t
>>> operation: INSERT
>>> collection: t

=== postgresql mysql unknown: values three tuples
INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'),(3, 'z') RETURNING id
>>> text: INSERT INTO t (a, b) VALUES (?, ?) RETURNING id
>>> summary: INSERT t
>>> operation: INSERT
>>> collection: t

=== postgresql mysql unknown: values with functions and subqueries
INSERT INTO t (a, b) VALUES (now(), (SELECT max(id) FROM u)), (now(), (SELECT max(id) FROM v))
>>> text: INSERT INTO t (a, b) VALUES (now(), (SELECT max(id) FROM u))
>>> summary: INSERT t SELECT u SELECT v
>>> operation: -
>>> collection: -

=== mysql unknown: values then on duplicate key update
INSERT INTO t (a, b) VALUES (1, 2), (3, 4) ON DUPLICATE KEY UPDATE b = VALUES(b)
>>> text: INSERT INTO t (a, b) VALUES (?, ?) ON DUPLICATE KEY UPDATE b = VALUES(b)
>>> summary: INSERT t
>>> operation: INSERT
>>> collection: t

=== postgresql unknown: upsert
INSERT INTO "t" ("a", "b") VALUES (1, 2), (3, 4) ON CONFLICT ("a") DO UPDATE SET "b" = EXCLUDED."b"
>>> text: INSERT INTO "t" ("a", "b") VALUES (?, ?) ON CONFLICT ("a") DO UPDATE SET "b" = EXCLUDED."b"
>>> summary: INSERT t
>>> operation: INSERT
>>> collection: t

=== postgresql mysql unknown: update
UPDATE app_item SET stock = stock - 1, name = 'new' WHERE id = 7
>>> text: UPDATE app_item SET stock = stock - ?, name = ? WHERE id = ?
>>> summary: UPDATE app_item
>>> operation: UPDATE
>>> collection: app_item

=== postgresql unknown: update from
UPDATE a SET x = b.x FROM b WHERE a.id = b.id
>>> text: UPDATE a SET x = b.x FROM b WHERE a.id = b.id
>>> summary: UPDATE a b
>>> operation: UPDATE
>>> collection: -

=== mysql: update two tables
UPDATE a, b SET a.x = b.x WHERE a.id = b.id
>>> text: UPDATE a, b SET a.x = b.x WHERE a.id = b.id
>>> summary: UPDATE a b
>>> operation: UPDATE
>>> collection: -

=== postgresql mysql unknown: delete
DELETE FROM app_item WHERE id IN (1, 2)
>>> text: DELETE FROM app_item WHERE id IN (?)
>>> summary: DELETE app_item
>>> operation: DELETE
>>> collection: app_item

=== postgresql unknown: delete using
DELETE FROM a USING b WHERE a.id = b.id
>>> text: DELETE FROM a USING b WHERE a.id = b.id
>>> summary: DELETE a b
>>> operation: DELETE
>>> collection: -

=== mysql: delete join
DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id WHERE t2.x = 3
>>> text: DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id WHERE t2.x = ?
>>> summary: DELETE t1 t2
>>> operation: DELETE
>>> collection: -

=== postgresql mysql unknown: select for update is one operation
SELECT id FROM t WHERE id = 3 FOR UPDATE
>>> text: SELECT id FROM t WHERE id = ? FOR UPDATE
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql unknown: select for no key update
SELECT id FROM t WHERE id = 3 FOR NO KEY UPDATE OF t SKIP LOCKED
>>> text: SELECT id FROM t WHERE id = ? FOR NO KEY UPDATE OF t SKIP LOCKED
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: lowercase kept
select id from Orders o where o.id = 3
>>> text: select id from Orders o where o.id = ?
>>> summary: select Orders
>>> operation: select
>>> collection: Orders

=== postgresql mysql unknown: union
SELECT a FROM x UNION ALL SELECT b FROM y
>>> text: SELECT a FROM x UNION ALL SELECT b FROM y
>>> summary: SELECT x SELECT y
>>> operation: SELECT
>>> collection: -

=== postgresql unknown: with
WITH recent AS (SELECT * FROM orders WHERE created > now() - interval '1 day'), big AS (SELECT * FROM recent WHERE total > 100) SELECT * FROM big JOIN customers c ON c.id = big.customer_id
>>> text: WITH recent AS (SELECT * FROM orders WHERE created > now() - interval ?), big AS (SELECT * FROM recent WHERE total > ?) SELECT * FROM big JOIN customers c ON c.id = big.customer_id
>>> summary: SELECT orders SELECT SELECT customers
>>> operation: SELECT
>>> collection: -

=== postgresql unknown: data-modifying with
WITH moved AS (DELETE FROM queue WHERE id = 5 RETURNING *) INSERT INTO done SELECT * FROM moved
>>> text: WITH moved AS (DELETE FROM queue WHERE id = ? RETURNING *) INSERT INTO done SELECT * FROM moved
>>> summary: DELETE queue INSERT done SELECT
>>> operation: -
>>> collection: -

=== postgresql mysql unknown: function in from is not a table
SELECT * FROM generate_series(1, 10) g JOIN t ON t.id = g
>>> text: SELECT * FROM generate_series(?, ?) g JOIN t ON t.id = g
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: extract from is not a table
SELECT EXTRACT(YEAR FROM created), SUBSTRING(name FROM 2 FOR 3) FROM orders
>>> text: SELECT EXTRACT(YEAR FROM created), SUBSTRING(name FROM ? FOR ?) FROM orders
>>> summary: SELECT orders
>>> operation: SELECT
>>> collection: orders

=== postgresql unknown: is distinct from
SELECT a FROM t WHERE a IS DISTINCT FROM b
>>> text: SELECT a FROM t WHERE a IS DISTINCT FROM b
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: replace function is not an operation
SELECT REPLACE(name, 'a', 'b') FROM t
>>> text: SELECT REPLACE(name, ?, ?) FROM t
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== mysql: replace into
REPLACE INTO t (a) VALUES (1), (2)
>>> text: REPLACE INTO t (a) VALUES (?)
>>> summary: REPLACE t
>>> operation: REPLACE
>>> collection: t

=== mysql: insert ignore without into
INSERT IGNORE t (a) VALUES (1)
>>> text: INSERT IGNORE t (a) VALUES (?)
>>> summary: INSERT t
>>> operation: INSERT
>>> collection: t

=== postgresql mysql unknown: begin
BEGIN
>>> text: BEGIN
>>> summary: BEGIN
>>> operation: BEGIN
>>> collection: -

=== postgresql mysql unknown: start transaction
START TRANSACTION ISOLATION LEVEL READ COMMITTED
>>> text: START TRANSACTION ISOLATION LEVEL READ COMMITTED
>>> summary: START TRANSACTION
>>> operation: START TRANSACTION
>>> collection: -

=== postgresql mysql unknown: commit
COMMIT
>>> text: COMMIT
>>> summary: COMMIT
>>> operation: COMMIT
>>> collection: -

=== postgresql unknown: rollback to savepoint
ROLLBACK TO SAVEPOINT "s140_x1"
>>> text: ROLLBACK TO SAVEPOINT "s140_x1"
>>> summary: ROLLBACK
>>> operation: ROLLBACK
>>> collection: -

=== postgresql unknown: savepoint
SAVEPOINT "s140234_x1"
>>> text: SAVEPOINT "s140234_x1"
>>> summary: SAVEPOINT
>>> operation: SAVEPOINT
>>> collection: -

=== mysql: savepoint with backticks
SAVEPOINT `s140234_x1`
>>> text: SAVEPOINT `s140234_x1`
>>> summary: SAVEPOINT
>>> operation: SAVEPOINT
>>> collection: -

=== postgresql mysql unknown: release
RELEASE SAVEPOINT s1
>>> text: RELEASE SAVEPOINT s1
>>> summary: RELEASE
>>> operation: RELEASE
>>> collection: -

=== postgresql unknown: set time zone
SET TIME ZONE 'UTC'
>>> text: SET TIME ZONE ?
>>> summary: SET
>>> operation: SET
>>> collection: -

=== mysql: set names
SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci
>>> text: SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci
>>> summary: SET
>>> operation: SET
>>> collection: -

=== mysql: set variable to a double-quoted string
SET @secret = "hunter2"
>>> text: SET @secret = ?
>>> summary: SET
>>> operation: SET
>>> collection: -

=== postgresql mysql unknown: show
SHOW server_version
>>> text: SHOW server_version
>>> summary: SHOW
>>> operation: SHOW
>>> collection: -

=== postgresql: create table
CREATE TABLE IF NOT EXISTS "app_item" ("id" bigserial NOT NULL PRIMARY KEY, "name" varchar(100) NOT NULL DEFAULT 'x', "price" numeric(10, 2) CHECK ("price" >= 0))
>>> text: CREATE TABLE IF NOT EXISTS "app_item" ("id" bigserial NOT NULL PRIMARY KEY, "name" varchar(?) NOT NULL DEFAULT ?, "price" numeric(?, ?) CHECK ("price" >= ?))
>>> summary: CREATE TABLE app_item
>>> operation: CREATE TABLE
>>> collection: app_item

=== postgresql unknown: create unique index
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "app_item_name_idx" ON "public"."app_item" USING btree ("name")
>>> text: CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "app_item_name_idx" ON "public"."app_item" USING btree ("name")
>>> summary: CREATE INDEX public.app_item
>>> operation: CREATE INDEX
>>> collection: public.app_item

=== postgresql mysql unknown: drop table
DROP TABLE IF EXISTS app_item CASCADE
>>> text: DROP TABLE IF EXISTS app_item CASCADE
>>> summary: DROP TABLE app_item
>>> operation: DROP TABLE
>>> collection: app_item

=== postgresql unknown: alter table
ALTER TABLE "app_item" ADD CONSTRAINT "fk" FOREIGN KEY ("order_id") REFERENCES "app_order" ("id") DEFERRABLE INITIALLY DEFERRED
>>> text: ALTER TABLE "app_item" ADD CONSTRAINT "fk" FOREIGN KEY ("order_id") REFERENCES "app_order" ("id") DEFERRABLE INITIALLY DEFERRED
>>> summary: ALTER TABLE app_item
>>> operation: ALTER TABLE
>>> collection: app_item

=== postgresql unknown: create view
CREATE OR REPLACE VIEW v AS SELECT * FROM t WHERE x = 1
>>> text: CREATE OR REPLACE VIEW v AS SELECT * FROM t WHERE x = ?
>>> summary: CREATE VIEW v SELECT t
>>> operation: -
>>> collection: t

=== postgresql: create function with dollar-quoted body
CREATE FUNCTION f() RETURNS int AS $body$ SELECT 42 FROM secret_table WHERE s = 'x' $body$ LANGUAGE sql
>>> text: CREATE FUNCTION f() RETURNS int AS ? LANGUAGE sql
>>> summary: CREATE FUNCTION f
>>> operation: CREATE FUNCTION
>>> collection: -

=== unknown: dollar-quoted body that MySQL would read as code hides the rest
CREATE FUNCTION f() RETURNS int AS $body$ SELECT 42 FROM secret_table WHERE s = 'x' $body$ LANGUAGE sql
>>> text: CREATE FUNCTION f() RETURNS int AS ?
>>> summary: CREATE FUNCTION f
>>> operation: CREATE FUNCTION
>>> collection: -

=== postgresql mysql unknown: truncate
TRUNCATE TABLE a, b RESTART IDENTITY
>>> text: TRUNCATE TABLE a, b RESTART IDENTITY
>>> summary: TRUNCATE a b
>>> operation: TRUNCATE
>>> collection: -

=== postgresql mysql unknown: call procedure
CALL refresh_stats(3, 'x')
>>> text: CALL refresh_stats(?, ?)
>>> summary: CALL refresh_stats
>>> operation: CALL
>>> collection: -

=== postgresql unknown: copy
COPY app_item (id, name) FROM STDIN WITH (FORMAT csv)
>>> text: COPY app_item (id, name) FROM STDIN WITH (FORMAT csv)
>>> summary: COPY app_item
>>> operation: COPY
>>> collection: app_item

=== postgresql mysql unknown: explain
EXPLAIN SELECT * FROM t WHERE id = 1
>>> text: EXPLAIN SELECT * FROM t WHERE id = ?
>>> summary: EXPLAIN SELECT t
>>> operation: -
>>> collection: t

=== postgresql mysql unknown: multiple statements
BEGIN; UPDATE t SET x = 1 WHERE id = 2; COMMIT;
>>> text: BEGIN; UPDATE t SET x = ? WHERE id = ?; COMMIT;
>>> summary: BEGIN UPDATE t COMMIT
>>> operation: -
>>> collection: t

=== postgresql mysql unknown: comments removed
/* app:checkout */ SELECT -- the id
  id
  FROM t
>>> text: SELECT id FROM t
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== mysql unknown: hash comment
SELECT id # comment
  FROM t
>>> text: SELECT id FROM t
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql: hash is an operator
SELECT id # comment
  FROM t
>>> text: SELECT id # comment FROM t
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql: nested comment
SELECT /* outer /* inner */ still comment */ 1
>>> text: SELECT ?
>>> summary: SELECT
>>> operation: SELECT
>>> collection: -

=== unknown: nested comment hides the rest, MySQL does not nest
SELECT /* outer /* inner */ still comment */ 1
>>> text: SELECT
>>> summary: SELECT
>>> operation: SELECT
>>> collection: -

=== postgresql mysql unknown: sqlcommenter
SELECT * FROM t /*traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',route='%2Fpolls'*/
>>> text: SELECT * FROM t
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: whitespace collapsed
SELECT	a,
    b
FROM     t   WHERE a=1
>>> text: SELECT a, b FROM t WHERE a=?
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: numbers of every shape
SELECT 42, -7, 3.14, .5, 1e10, 1.5E-3, 0x1F, 0b1010, 1_000_000 FROM t
>>> text: SELECT ?, -?, ?, ?, ?, ?, ?, ?, ? FROM t
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql: casts and typed literals
SELECT '2024-01-01'::date, DATE '2024-01-01', INTERVAL '1 day', 5::text, E'a\'b' FROM t
>>> text: SELECT ?::date, DATE ?, INTERVAL ?, ?::text, ? FROM t
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== unknown: an escape string read both ways hides the rest
SELECT '2024-01-01'::date, DATE '2024-01-01', INTERVAL '1 day', 5::text, E'a\'b' FROM t
>>> text: SELECT ?::date, DATE ?, INTERVAL ?, ?::text, ?
>>> summary: SELECT
>>> operation: SELECT
>>> collection: -

=== postgresql: escape string with backslashes
SELECT E'it\'s \\ fine', 'plain' FROM t
>>> text: SELECT ?, ? FROM t
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: national, hex and bit strings
SELECT N'abc', X'DEADBEEF', x'00', B'0101', b'1' FROM t
>>> text: SELECT ?, ?, ?, ?, ? FROM t
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== mysql: charset introducer and binary
INSERT INTO t (a, b) VALUES (_utf8mb4'secret', _binary'\0\'\\x')
>>> text: INSERT INTO t (a, b) VALUES (?, ?)
>>> summary: INSERT t
>>> operation: INSERT
>>> collection: t

=== unknown: charset introducer with an escaped quote hides the rest
INSERT INTO t (a, b) VALUES (_utf8mb4'secret', _binary'\0\'\\x')
>>> text: INSERT INTO t (a, b) VALUES (?, ?
>>> summary: INSERT t
>>> operation: INSERT
>>> collection: t

=== mysql: backslash escaped quote
SELECT id FROM t WHERE name = 'O\'Reilly' AND id = 5
>>> text: SELECT id FROM t WHERE name = ? AND id = ?
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== mysql: doubled quote
SELECT id FROM t WHERE name = 'O''Reilly' AND id = 5
>>> text: SELECT id FROM t WHERE name = ? AND id = ?
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== unknown: backslash escaped quote hides the rest when the dialect is unknown
SELECT id FROM t WHERE name = 'O\'Reilly' AND id = 5
>>> text: SELECT id FROM t WHERE name = ?
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql: trailing backslash in a standard string hides the rest
SELECT id FROM t WHERE path = 'C:\' AND id = 5
>>> text: SELECT id FROM t WHERE path = ?
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== mysql: double-quoted string
SELECT id FROM t WHERE name = "bob \"the\" builder" AND x = 1
>>> text: SELECT id FROM t WHERE name = ? AND x = ?
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== unknown: double-quoted string in value position is a string
SELECT id FROM t WHERE name = "bob" AND x = 1
>>> text: SELECT id FROM t WHERE name = ? AND x = ?
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== mysql unknown: backticks
SELECT `t`.`id`, `weird``name` FROM `db`.`t` WHERE `t`.`id` = 3
>>> text: SELECT `t`.`id`, `weird``name` FROM `db`.`t` WHERE `t`.`id` = ?
>>> summary: SELECT db.t
>>> operation: SELECT
>>> collection: db.t

=== postgresql: dollar quotes
SELECT $$a 'quoted' $$, $tag$ $$ nested $$ $tag$, $1 FROM t WHERE x = $2
>>> text: SELECT ?, ?, $1 FROM t WHERE x = $2
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql unknown: unicode escape string and identifier
SELECT U&'d\0061t\+000061', U&"d\0061t" FROM t
>>> text: SELECT ?, U&"d\0061t" FROM t
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql: json operators and placeholders
SELECT data->>'key', data #>> '{a,b}', data ? 'k' FROM t WHERE id = $1
>>> text: SELECT data->>?, data #>> ?, data ? ? FROM t WHERE id = $1
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== unknown: a hash that may start a comment holding a quote hides the rest
SELECT data->>'key', data #>> '{a,b}', data ? 'k' FROM t WHERE id = $1
>>> text: SELECT data->>?, data
>>> summary: SELECT
>>> operation: SELECT
>>> collection: -

=== postgresql: hash is an operator in postgresql
SELECT 5 # 3 FROM t
>>> text: SELECT ? # ? FROM t
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: unterminated string hides everything after it
SELECT * FROM t WHERE name = 'unterminated secret AND id = 5
>>> text: SELECT * FROM t WHERE name = ?
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: unterminated comment
SELECT * FROM t /* never closed 'secret'
>>> text: SELECT * FROM t
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql: unterminated dollar quote
SELECT $x$ secret 42 FROM t
>>> text: SELECT ?
>>> summary: SELECT
>>> operation: SELECT
>>> collection: -

=== postgresql: unterminated quoted identifier
SELECT "unterminated FROM t
>>> text: SELECT "unterminated FROM t
>>> summary: SELECT
>>> operation: SELECT
>>> collection: -

=== mysql unknown: unterminated double quote is a string
SELECT "unterminated FROM t
>>> text: SELECT ?
>>> summary: SELECT
>>> operation: SELECT
>>> collection: -

=== postgresql: unicode identifiers and strings
SELECT "naïve", café FROM "日本" WHERE name = 'Zoë 🎉' AND x = 1
>>> text: SELECT "naïve", café FROM "日本" WHERE name = ? AND x = ?
>>> summary: SELECT 日本
>>> operation: SELECT
>>> collection: 日本

=== unknown: unicode identifiers where names stand
SELECT "naïve", café FROM "日本" WHERE name = 'Zoë 🎉' AND x = 1
>>> text: SELECT ?, café FROM "日本" WHERE name = ? AND x = ?
>>> summary: SELECT 日本
>>> operation: SELECT
>>> collection: 日本

=== mysql: unicode identifiers in backticks
SELECT `naïve`, café FROM `日本` WHERE name = 'Zoë 🎉' AND x = 1
>>> text: SELECT `naïve`, café FROM `日本` WHERE name = ? AND x = ?
>>> summary: SELECT 日本
>>> operation: SELECT
>>> collection: 日本

=== postgresql mysql unknown: true false null are keywords
SELECT * FROM t WHERE a = TRUE AND b IS NOT NULL AND c = false
>>> text: SELECT * FROM t WHERE a = TRUE AND b IS NOT NULL AND c = false
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: empty
 
>>> text: 
>>> summary: 
>>> operation: -
>>> collection: -

=== postgresql mysql unknown: only a comment
-- nothing here
>>> text: 
>>> summary: 
>>> operation: -
>>> collection: -

=== postgresql mysql unknown: not sql
hello world 12345
>>> text: hello world ?
>>> summary: 
>>> operation: -
>>> collection: -

=== postgresql mysql unknown: limit offset
SELECT * FROM t ORDER BY id DESC LIMIT 10 OFFSET 20
>>> text: SELECT * FROM t ORDER BY id DESC LIMIT ? OFFSET ?
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: self join
SELECT * FROM t a JOIN t b ON a.parent = b.id
>>> text: SELECT * FROM t a JOIN t b ON a.parent = b.id
>>> summary: SELECT t t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: left outer join three tables
SELECT * FROM a LEFT OUTER JOIN b ON a.id = b.a_id LEFT JOIN c ON c.id = b.c_id
>>> text: SELECT * FROM a LEFT OUTER JOIN b ON a.id = b.a_id LEFT JOIN c ON c.id = b.c_id
>>> summary: SELECT a b c
>>> operation: SELECT
>>> collection: -

=== postgresql mysql unknown: lateral join
SELECT * FROM a, LATERAL (SELECT * FROM b WHERE b.a_id = a.id LIMIT 1) x
>>> text: SELECT * FROM a, LATERAL (SELECT * FROM b WHERE b.a_id = a.id LIMIT ?) x
>>> summary: SELECT a SELECT b
>>> operation: SELECT
>>> collection: -

=== postgresql mysql unknown: e-mail and identifiers with digits
SELECT t1.col2 FROM table3 t1 WHERE email = 'user42@example.com' AND t1.x2 = 99
>>> text: SELECT t1.col2 FROM table3 t1 WHERE email = ? AND t1.x2 = ?
>>> summary: SELECT table3
>>> operation: SELECT
>>> collection: table3

=== mysql: user variables and session variables
SELECT @@session.sql_mode, @x := 5, @'quoted secret'
>>> text: SELECT @@session.sql_mode, @x := ?, @?
>>> summary: SELECT
>>> operation: SELECT
>>> collection: -

=== mysql: version comment is dropped
SELECT /*!40101 SQL_NO_CACHE */ id FROM t
>>> text: SELECT id FROM t
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql unknown: array and any
SELECT * FROM t WHERE id = ANY(ARRAY[1, 2, 3]) AND tags && ARRAY['a']
>>> text: SELECT * FROM t WHERE id = ANY(ARRAY[?]) AND tags && ARRAY[?]
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: case when
SELECT CASE WHEN a > 10 THEN 'many' ELSE 'few' END FROM t
>>> text: SELECT CASE WHEN a > ? THEN ? ELSE ? END FROM t
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: between dates
SELECT * FROM t WHERE created BETWEEN '2024-01-01' AND '2024-12-31 23:59:59.999999'
>>> text: SELECT * FROM t WHERE created BETWEEN ? AND ?
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: like with escapes
SELECT * FROM t WHERE name LIKE '%50\%%' ESCAPE '\'
>>> text: SELECT * FROM t WHERE name LIKE ? ESCAPE ?
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: negative and arithmetic
UPDATE t SET x = x * -1.5 + 2 WHERE id = -3
>>> text: UPDATE t SET x = x * -? + ? WHERE id = -?
>>> summary: UPDATE t
>>> operation: UPDATE
>>> collection: t

=== unknown: dollar-quoted string with nothing MySQL could open
SELECT $$ plain words $$, 'x' FROM t WHERE id = 1
>>> text: SELECT ?, ? FROM t WHERE id = ?
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== unknown: version comment without quotes
SELECT /*!40101 SQL_NO_CACHE */ id FROM t
>>> text: SELECT id FROM t
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== unknown: double dash without a space is a comment unless it holds a quote
SELECT a--b
FROM t WHERE x--'y'
AND z = 1
>>> text: SELECT a FROM t WHERE x
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== mysql: double dash without a space is two minuses in MySQL
SELECT a--b FROM t WHERE x--'y' AND z = 1
>>> text: SELECT a- -b FROM t WHERE x- -? AND z = ?
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql unknown: in list of tuples and casts
SELECT * FROM t WHERE (a, b) IN ((1, 'x'), (2, 'y'), (3, 'z')) AND id IN ('a'::uuid, 'b'::uuid) AND c IN (-1, +2)
>>> text: SELECT * FROM t WHERE (a, b) IN ((?, ?)) AND id IN (?::uuid) AND c IN (-?)
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t

=== postgresql mysql unknown: in list whose later element is a sub-query stays
SELECT * FROM t WHERE id IN (1, 2, (SELECT max(id) FROM u), 4)
>>> text: SELECT * FROM t WHERE id IN (?, (SELECT max(id) FROM u), ?)
>>> summary: SELECT t SELECT u
>>> operation: SELECT
>>> collection: -

=== postgresql mysql unknown: nested in lists
SELECT * FROM t WHERE id IN (1, 2) AND (x IN (3, 4, 5) OR y NOT IN ('a', 'b'))
>>> text: SELECT * FROM t WHERE id IN (?) AND (x IN (?) OR y NOT IN (?))
>>> summary: SELECT t
>>> operation: SELECT
>>> collection: t
