# Placement changes while the router runs: dosql_shard_table and
# dosql_reference_table on an empty table take effect at once (SHOW VSCHEMA,
# rows placed by the new vindex or copied to every shard), survive a
# restart of the router, and are refused on a table with rows (0A000) or
# with PostgreSQL's errors for a missing column or a bad call.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;

my $c = DoSQL::Test::Cluster->new('pl', shards => 4,
	tables => { anchor => { column_vindexes => [ { column => 'id', name => 'hash' } ] } },
	vschema => { default_placement => { pinned => '-40' } });
$c->start;
my $router = $c->router;
my @shards = $c->shards;
sub err_of { my ($sql) = @_; my ($rc, $out, $err) = $router->psql($sql, flags => [ '-X', '-q', '-v', 'VERBOSITY=verbose' ]); return $err; }
sub counts { my ($t) = @_; return join(',', map { $_->safe_psql("select count(*) from $t") } @shards); }

$router->safe_psql('create table t (id int primary key, v text)');
$router->safe_psql('create table r (code int primary key, label text)');
$router->safe_psql("insert into t (id, v) values (1, 'a')");
is(counts('t'), '1,0,0,0', 'a table the VSchema does not name lives on the default shard');
like(err_of(q{select dosql_shard_table('t', 'id')}),
	qr/ERROR:  0A000: dosql_shard_table on a table that has rows is not supported until resharding exists/,
	'dosql_shard_table on a table with rows: 0A000');
$router->safe_psql('delete from t');
like(err_of(q{select dosql_shard_table('t', 'nosuch')}), qr/ERROR:  42703: column "nosuch" of relation "t" does not exist/,
	'an unknown column: 42703');
like(err_of(q{select dosql_shard_table('t', 'id', 'nosuch')}), qr/ERROR:  42704: vindex "nosuch" does not exist/,
	'an unknown vindex: 42704');
like(err_of(q{select dosql_shard_table('t')}), qr/ERROR:  42883: function dosql_shard_table expects/, 'a bad call: 42883');
like(err_of(q{begin; select dosql_shard_table('t', 'id')}), qr/ERROR:  25001: dosql_shard_table cannot run inside a transaction block/,
	'inside a transaction block: 25001');

is($router->safe_psql(q{select dosql_shard_table('t', 'id')}), '', 'dosql_shard_table on an empty table');
like($router->safe_psql('show vschema'), qr/^t\|sharded\|hash\(id\)\|4$/m, 'SHOW VSCHEMA shows it at once');
like(err_of(q{select dosql_shard_table('t', 'id')}), qr/ERROR:  42P16: table "t" is already sharded/, 'twice: 42P16');
$router->safe_psql('insert into t (id, v) values ' . join(', ', map { "($_, 'v$_')" } 1 .. 40));
my @per = split /,/, counts('t');
is(scalar(grep { $_ > 0 } @per), 4, "its rows go to every shard now (@per)");
is(join(',', map { $router->safe_psql("select count(*) from t where id = $_") } 1 .. 40), join(',', ('1') x 40),
	'each where its key routes');

is($router->safe_psql(q{select dosql_reference_table('r')}), '', 'dosql_reference_table on an empty table');
$router->safe_psql(q{insert into r (code, label) values (1, 'one'), (2, 'two')});
is(counts('r'), '2,2,2,2', 'a reference table write reaches every shard');

# after a restart the changes are still there
$router->stop;
$router->start;
like($router->safe_psql('show vschema'), qr/^r\|reference\|\|4$/m, 'after a restart: still a reference table');
like($router->safe_psql('show vschema'), qr/^t\|sharded\|hash\(id\)\|4$/m, 'and still sharded');
$router->safe_psql('insert into t (id, v) values ' . join(', ', map { "($_, 'v$_')" } 41 .. 80));
is(join(',', map { $router->safe_psql("select count(*) from t where id = $_") } 41 .. 80), join(',', ('1') x 40),
	'rows still go where their keys route');
is($router->safe_psql('select count(*) from t'), '80', 'and none is lost');

$c->stop;
done_testing();
