# Simple-protocol statements that differ only in their literals share a
# shape; a shape routed as written runs on its shard as a statement
# prepared once per connection, its literals bound as parameters of the
# types PostgreSQL gives them.  Every statement here is run through the
# router and on a real PostgreSQL 15 with psql, and psql's whole output
# (rows, and errors with their LINE/caret) must be the same: numbers that
# are int4, int8 or numeric by size and form, strings of unknown type taking
# their column's type, literals in expressions, INSERT and UPDATE, and
# errors whose position is in a literal, after a literal, or inside one that
# did not convert.  SHOW STATS shows that the shard ran the repeats from its
# prepared statement, and SHOW PLAN_CACHE that an extended-protocol Parse of
# a text seen before is not parsed again.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency);
use DoSQL::Test::Oracle;
use DoSQL::Test::Utils ();

require_dependency(DoSQL::Test::Oracle::unavailable());

my $oracle = DoSQL::Test::Oracle->start;
my $cluster = DoSQL::Test::Cluster->new('shapes', shards => 4,
	tables => { s => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
$cluster->start;
my $router = $cluster->router;

# psql's stdout and stderr for sql on the router and on PostgreSQL
sub both { return $oracle->psql_both($router, $_[0]); }

my $setup = q{create table s (id int primary key, i int, b bigint, n numeric, t text, ts timestamp, d date,
 f float8, flag bool);
insert into s values (1, 1, 1, 1.5, 'one', '2024-01-31 10:00:00', '2024-02-29', 1.5, true);
insert into s values (2, 2, 3000000000, 99999999999999999999, 'two', '2019-12-31 23:59:59', '2024-03-01', 1000, false);
insert into s values (3, 3, -5, -0.25, null, null, null, null, null);
insert into s values (4, 4, 4, 4, 'four', '2020-01-01 00:00:00', '2020-01-01', -2.5, true);};
my ($r, $p) = both($setup);
is($r, $p, 'the table and its rows, on both');

my @statements = (
	'select id from s where id = 1 and i = 1.5',
	'select id from s where id = 2 and i = 2.0',
	'select id, b from s where id = 2 and b = 3000000000',
	'select id from s where id = 2 and n = 99999999999999999999',
	'select id from s where id = 2 and i < 99999999999999999999',
	'select id, i + 1.5, i * 2, i / 2, b + 2147483648 from s where id = 1',
	q{select id, t || 'x', 'lit' || t, coalesce(t, 'none') from s where id = 3},
	q{select id, coalesce(t, 'none') from s where id = 1},
	q{select id from s where id = 1 and ts > '2020-01-01'},
	q{select id from s where id = 4 and ts <= '2020-01-01 00:00:00' and d = '2020-01-01'},
	q{select id from s where id = 1 and d = '2024-02-29'},
	q{select id from s where id = 1 and flag = 'true'},
	'select id from s where id = 2 and f = 1e3',
	'select id from s where id = 4 and f = -2.5',
	q{select id from s where id in (1, 2, 3) and t in ('one', 'two') order by id},
	q{select id, n * 2.5e0 from s where id = 1},
	q{select id, length('héllo wörld'), t from s where id = 1},
	q{select id, 'it''s' as q from s where id = 1},
	q{select id, i = 1, i <> 2 from s where id = 1},
	q{insert into s (id, i, b, n, t) values (10, 7, 8000000000, 1.25, 'new')},
	'select id, i, b, n, t from s where id = 10',
	'update s set i = i + 1.5, n = n + 1 where id = 10',
	'select id, i, n from s where id = 10',
	q{update s set t = 'changed', ts = '2021-06-01 12:00:00' where id = 10},
	'select t, ts from s where id = 10',
	'delete from s where id = 10 and i = 9',
	'select count(*) from s where id = 10',
	# errors, with psql's LINE and caret
	'select nosuch from s where id = 1',
	q{select id from s where id = 1 and nosuch = 'x'},
	q{select id from s where id = 1 and i = 'abc'},
	q{select id from s where id = 1 and d = '2024-02-30'},
	q{select id from s where id = 1 and ts > 'not a time'},
	q{select id from s where id = 1 and flag = 'maybe'},
	q{select id, 'héllo' || nosuch from s where id = 1},
	q{select id from s where id = 1 and t = 'héllo wörld' and nosuch = 2},
	q{select id from s where t = 'ü' and id = 1 and i = 'ñ'},
	q{insert into s (id, i) values (11, 'eleven')},
	'insert into s (id, i) values (12, 3000000000)',
	q{insert into s (id, i) values (1, 5)},
	'select id from s where id = 1 and i = 1 / 0',
	'select id, i / 0 from s where id = 1',
);
for my $sql (@statements) {
	my ($r, $p) = both($sql);
	is($r, $p, $sql);
}

# the same shape with other literals, many times: the shard parses it once
# on the connection that serves this session and runs the rest prepared
my $prepared = sub {
	my $n = 0;
	$n += (split /\|/)[7] for split /\n/, $router->safe_psql('show stats');
	return $n;
};
my $before = $prepared->();
my $script = join '', map { "select i from s where id = 1 and t <> 'x$_';\n" } 1 .. 30;
my $out = $router->safe_psql($script);
is(scalar(grep { $_ eq '1' } split /\n/, $out), 30, 'thirty statements of one shape answered');
cmp_ok($prepared->() - $before, '>=', 29, 'the shard ran at least 29 of them from its prepared statement');

# the extended protocol: a Parse of a text seen before takes its tree from
# the plan cache (pgbench -M extended Parses its statement every time)
my $hits = sub { (split /\|/, $router->safe_psql('show plan_cache'))[1] };
my $h0 = $hits->();
my $pgb_script = $router->basedir . '/point.sql';
DoSQL::Test::Utils::write_file($pgb_script, "\\set k random(1, 4)\nselect i from s where id = :k;\n");
my ($prc, $pout, $perr) = DoSQL::Test::Utils::run_command([ "$DoSQL::Test::ServerNode::pg_bindir/pgbench", '-n',
	'-M', 'extended', '-t', '50', '-f', $pgb_script, '-h', $router->host, '-p', $router->port, '-U', 'dosql', 'dosql' ]);
like($pout, qr/number of transactions actually processed: 50\/50/, 'pgbench -M extended: 50 statements') or diag($perr);
cmp_ok($hits->() - $h0, '>=', 49, 'each Parse after the first found the tree in the plan cache');

# inside a transaction block: BEGIN goes ahead as text, the rest prepared
($r, $p) = both(q{begin; update s set t = 'in txn' where id = 4; select t from s where id = 4; rollback;
select t from s where id = 4;});
is($r, $p, 'a transaction block of shaped statements, rolled back');

done_testing();
