# psql against a single dosql-shard: DDL, DML, transactions, \x, errors
# with LINE n: and a caret, types and result shapes as PostgreSQL gives them.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::ServerNode;

my $node = DoSQL::Test::ServerNode->new_shard('psql');
$node->start;

# aligned output, as a person sees it
sub psql_aligned {
	my ($sql) = @_;
	my ($rc, $out, $err) = $node->psql($sql, flags => ['-X', '-q', '-v', 'ON_ERROR_STOP=1']);
	return ($rc, $out, $err);
}

$node->safe_psql(q{
	create table items (id serial primary key, name varchar(20) not null unique,
		price numeric(10,2), qty int default 0, created timestamptz default now(), active boolean default true);
});
is($node->safe_psql(q{insert into items (name, price) values ('apple', 1.5), ('pear', 2) returning id, name}),
	"1|apple\n2|pear", 'INSERT ... RETURNING with serial ids');
is($node->safe_psql('select name, price, qty, active from items order by id'),
	"apple|1.50|0|t\npear|2.00|0|t", 'numeric scale, defaults and booleans render as PostgreSQL does');

my ($rc, $out, $err) = psql_aligned(q{select id, name from items where price > 1.6});
is($out, " id | name \n----+------\n  2 | pear\n(1 row)\n", 'aligned output, numbers right-aligned');

is($node->safe_psql(q{update items set qty = qty + 5 where name = 'apple'; select qty from items where id = 1}),
	'5', 'UPDATE with arithmetic');
($rc, $out, $err) = $node->psql(q{update items set qty = 1 where id > 0}, flags => ['-X', '-v', 'ON_ERROR_STOP=1']);
is($out, 'UPDATE 2', 'UPDATE tag counts rows');
($rc, $out, $err) = $node->psql(q{delete from items where id = 2}, flags => ['-X', '-v', 'ON_ERROR_STOP=1']);
is($out, 'DELETE 1', 'DELETE tag');

# expanded display
($rc, $out, $err) = psql_aligned("\\x\nselect id, name from items");
like($out, qr/-\[ RECORD 1 \]-*\nid\s+\| 1\nname \| apple/, '\x expanded output');

# transactions: rollback discards, commit keeps
$node->safe_psql(q{begin; insert into items (name) values ('plum'); rollback;});
is($node->safe_psql(q{select count(*) from items where name = 'plum'}), '0', 'ROLLBACK discards');
$node->safe_psql(q{begin; insert into items (name) values ('fig'); commit;});
is($node->safe_psql(q{select count(*) from items where name = 'fig'}), '1', 'COMMIT keeps');

# an error inside a block aborts it until ROLLBACK
($rc, $out, $err) = $node->psql(q{begin;
insert into items (name) values ('fig');
select 1;
rollback;}, flags => ['-X', '-q']);
like($err, qr/duplicate key value violates unique constraint "items_name_key"/, 'unique violation names the constraint');
like($err, qr/current transaction is aborted, commands ignored until end of transaction block/, '25P02 after an error');

# savepoints
is($node->safe_psql(q{begin; insert into items (name) values ('kiwi'); savepoint s1;
	insert into items (name) values ('lime'); rollback to savepoint s1; commit;
	select string_agg(name, ',') from items where name in ('kiwi', 'lime')}), 'kiwi', 'ROLLBACK TO SAVEPOINT');

# syntax errors carry a position: LINE n and a caret
($rc, $out, $err) = $node->psql("select 1;\nselec 2", flags => ['-X', '-q']);
like($err, qr/ERROR:  syntax error at or near "selec"\nLINE 1: selec 2\n        \^/, 'syntax error with LINE and caret');
($rc, $out, $err) = $node->psql("select *\n  from nosuchtable", flags => ['-X', '-q']);
like($err, qr/ERROR:  relation "nosuchtable" does not exist\nLINE 2:   from nosuchtable\n               \^/,
	'undefined table at its position');
($rc, $out, $err) = $node->psql("select nosuchcol from items", flags => ['-X', '-q']);
like($err, qr/ERROR:  column "nosuchcol" does not exist\nLINE 1: select nosuchcol from items\n               \^/,
	'undefined column at its position');
($rc, $out, $err) = $node->psql("select * from items where qty = 'abc'", flags => ['-X', '-q']);
like($err, qr/ERROR:  invalid input syntax for type integer: "abc"\nLINE 1: select \* from items where qty = 'abc'\n\s+\^/,
	'bad literal for an integer column, at its position');
($rc, $out, $err) = $node->psql("select 1/0", flags => ['-X', '-q']);
like($err, qr/ERROR:  division by zero/, 'division by zero raises');
($rc, $out, $err) = $node->psql("insert into items (name) values (NULL)", flags => ['-X', '-q']);
like($err, qr/null value in column "name" of relation "items" violates not-null constraint/, 'NOT NULL violation');

# result shapes and names follow PostgreSQL
($rc, $out, $err) = psql_aligned(q{select 1, 'a', 1::int8 as big, count(*), now() is not null from items});
like($out, qr/^ \?column\? \| \?column\? \| big \| count \| \?column\? \n/, 'column names as FigureColname');
is($node->safe_psql(q{select 7 / 2, 7 % 3, 'a' || 'b', length('héllo'), upper('x')}),
	'3|1|ab|5|X', 'integer division, modulo, concat, length in characters');
is($node->safe_psql(q{select 'abc' like 'A%', 'abc' ilike 'A%', 'abc' ~ '^a.c$'}), 'f|t|t',
	'LIKE is case-sensitive, ILIKE is not, regex match');
is($node->safe_psql(q{select version() like 'PostgreSQL 15.%', current_schema(), current_user}),
	't|public|dosql', 'version(), current_schema(), current_user');
is($node->safe_psql(q{select coalesce(null, 2), nullif(1, 1) is null, greatest(1, 5, 3), least(4, null, 2),
	case when 1 > 2 then 'x' else 'y' end}), '2|t|5|2|y', 'coalesce, nullif, greatest, least, CASE');
is($node->safe_psql(q{select name from items order by name desc limit 2 offset 1}), "fig\napple",
	'ORDER BY DESC with LIMIT/OFFSET');
is($node->safe_psql(q{select qty, count(*) from items group by qty having count(*) > 0 order by 1}), "0|2\n1|1",
	'GROUP BY with HAVING');

# generate_series in FROM, WITH ORDINALITY
is($node->safe_psql(q{select string_agg(g::text, ',') from generate_series(10, 1, -4) as g}), '10,6,2',
	'generate_series with a negative step');
is($node->safe_psql(q{select g, o from generate_series(5, 6) with ordinality as t(g, o)}), "5|1\n6|2",
	'WITH ORDINALITY');
is($node->safe_psql(q{select count(*), sum(x) from generate_series(1, 1000) x}), '1000|500500', 'aggregate over a series');
($rc, $out, $err) = $node->psql(q{select * from generate_series(1, 3, 0)}, flags => ['-X', '-q']);
like($err, qr/step size cannot equal zero/, 'a zero step is an error');

# SET / SHOW
is($node->safe_psql(q{set application_name = 'tapp'; show application_name}), 'tapp', 'SET and SHOW');
is($node->safe_psql(q{show server_version}), '15.18 (DoSQL)', 'server_version');
is($node->safe_psql(q{select current_setting('DateStyle')}), 'ISO, MDY', 'current_setting');
($rc, $out, $err) = $node->psql(q{set nosuchsetting = 1}, flags => ['-X', '-q']);
like($err, qr/unrecognized configuration parameter "nosuchsetting"/, 'unknown GUC is refused');

# multi-statement query strings are one implicit transaction
($rc, $out, $err) = $node->psql(q{insert into items (name) values ('grape'); select 1/0;},
	flags => ['-X', '-q'], stdin => '', extra_params => []);
is($node->safe_psql(q{select count(*) from items where name = 'grape'}), '0',
	'a failing multi-statement query rolls back its earlier statements');

# startup options: -c name=value
($rc, $out, $err) = $node->psql('show statement_timeout', env => { PGOPTIONS => '-c statement_timeout=5s' });
is($out, '5s', 'PGOPTIONS -c sets a GUC at startup');

# data survives a restart
$node->restart;
is($node->safe_psql('select count(*) from items'), '3', 'rows survive a restart');

# unsupported constructs say so with 0A000
($rc, $out, $err) = $node->psql(q{select name from items order by qty using <}, flags => ['-X', '-q', '-v', 'VERBOSITY=verbose']);
like($err, qr/ERROR:  0A000: ORDER BY ... USING is not supported by DoSQL/, '0A000 names the construct');

# grouping: an ungrouped column outside an aggregate is 42803, as in
# PostgreSQL; columns of a table whose primary key is grouped are allowed
$node->safe_psql('create table grp (id int primary key, a int, b text); create table grp2 (x int, y int)');
$node->safe_psql(q{insert into grp values (1, 1, 'x'), (2, 1, 'y'), (3, 2, 'x'); insert into grp2 values (1, 2), (1, 3)});
for my $case (
	[ 'select a, b from grp group by a', 't.b', 11 ],
	[ 'select a, count(*) from grp', 't.a', 8 ],
	[ 'select count(*) from grp having a > 1', 't.a', 33 ],
	[ 'select a, count(*) from grp group by 1 order by b', 't.b', 49 ],
	[ 'select x, y from grp2 group by x', 'grp2.y', 11 ],
  )
{
	my ($sql, $col, $pos) = @$case;
	$col =~ s/^t\./grp./;
	my ($rc, $out, $err) = $node->psql($sql, flags => [ '-X', '-q', '-v', 'VERBOSITY=verbose' ]);
	like($err, qr/ERROR:  42803: column "\Q$col\E" must appear in the GROUP BY clause or be used in an aggregate function\nLINE 1: .*\n {${\ ($pos + 7)}}\^/,
		"42803 at the column: $sql");
}
is($node->safe_psql('select id, a, b from grp group by id order by id'), "1|1|x\n2|1|y\n3|2|x",
	'columns of a table whose primary key is grouped');
is($node->safe_psql('select (a + 1) * 2, count(*) from grp group by a + 1 order by 1'), "4|2\n6|1",
	'an expression over a grouped expression');
is($node->safe_psql('select a as k, count(*) from grp group by k order by k'), "1|2\n2|1", 'GROUP BY an output name');

# EXPLAIN shows SQLite's plan for the translated statement
like($node->safe_psql('explain select * from grp where id = 2'), qr/^SEARCH grp USING INDEX grp_pkey/,
	'EXPLAIN of a key lookup shows the index');
my ($erc, $eout, $eerr) = $node->psql('explain analyze select 1', flags => [ '-X', '-q', '-v', 'VERBOSITY=verbose' ]);
like($eerr, qr/ERROR:  0A000: EXPLAIN ANALYZE is not supported by DoSQL/, 'EXPLAIN ANALYZE is refused with 0A000');

# an untyped literal beside an integer in || is text, as in PostgreSQL
is($node->safe_psql(q{select 1 || ':' || 2, '<' || 3::int8 || '>'}), '1:2|<3>', 'integer || literal concatenates as text');

done_testing();
