# A placement made while the router runs follows its table: DROP TABLE
# takes it away (the name can be created again with other columns and
# placed again), ALTER TABLE ... RENAME carries it to the new name, also
# across a restart of the router; dosql_shard_table without a vindex name
# uses the VSchema's first hash vindex even when no table uses it.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;

my $c = DoSQL::Test::Cluster->new('pf', shards => 4,
	vschema => { vindexes => { h2 => { type => 'hash' } }, default_placement => { pinned => '-40' } });
$c->start;
my $router = $c->router;
my @shards = $c->shards;
sub counts { my ($t) = @_; return join(',', map { $_->safe_psql("select count(*) from $t") } @shards); }
sub spread { my ($t) = @_; return scalar grep { $_ > 0 } split /,/, counts($t); }
my $rows = join(', ', map { "($_, 'v$_')" } 1 .. 40);

$router->safe_psql('create table t (id int primary key, v text)');
$router->safe_psql(q{select dosql_shard_table('t', 'id')});
like($router->safe_psql('show vschema'), qr/^t\|sharded\|h2\(id\)\|4$/m, 'placed by the first hash vindex declared, which no table used');
$router->safe_psql("insert into t values $rows");
cmp_ok(spread('t'), '>=', 3, 'its rows spread over the shards');

$router->safe_psql('drop table t');
unlike($router->safe_psql('show vschema'), qr/^t\|/m, 'DROP TABLE takes the placement away');
$router->safe_psql('create table t (k text, n int)');
my ($rc, $out, $err) = $router->psql(q{insert into t values ('a', 1)});
is($rc, 0, 'the name created again with other columns takes INSERTs') or diag($err);
is(counts('t'), '1,0,0,0', 'on the default shard');
$router->safe_psql('delete from t');
$router->safe_psql(q{select dosql_shard_table('t', 'k')});
like($router->safe_psql('show vschema'), qr/^t\|sharded\|h2\(k\)\|4$/m, 'and can be placed again, by its new column');

$router->safe_psql('insert into t values ' . join(', ', map { "('k$_', $_)" } 1 .. 40));
$router->safe_psql('alter table t rename to t2');
like($router->safe_psql('show vschema'), qr/^t2\|sharded\|h2\(k\)\|4$/m, 'RENAME carries the placement to the new name');
unlike($router->safe_psql('show vschema'), qr/^t\|/m, 'the old name has none');
is($router->safe_psql(q{select n from t2 where k = 'k17'}), '17', 'rows are found by key under the new name');
$router->restart;
like($router->safe_psql('show vschema'), qr/^t2\|sharded\|h2\(k\)\|4$/m, 'after a restart too');
$router->safe_psql('begin; drop table t2; rollback');
like($router->safe_psql('show vschema'), qr/^t2\|sharded/m, 'a DROP rolled back keeps the placement');
is($router->safe_psql('select count(*) from t2'), '40', 'and the rows');
done_testing();
