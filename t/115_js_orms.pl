# Sequelize and knex (npm) through the router, against the same script run
# on a real PostgreSQL 15: Sequelize sync (force, then alter), bulkCreate,
# finders, update, destroy, transactions (rolled back and managed), a
# unique violation and describeTable, a bigserial id the ORM gets back
# from create and bulkCreate on a table sharded by it; knex's schema builder (create, has,
# alter, drop), inserts, selects, updates, deletes, aggregates and
# transactions.  The tables are sharded in the router's VSchema.  Every
# check must give what PostgreSQL gives.
#
# The checks are in t/js/orms.js; the npm packages are pinned in
# t/js/package-lock.json.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Checks qw(run_checks compare_checks);
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency);
use DoSQL::Test::Npm;
use DoSQL::Test::Oracle;

require_dependency(DoSQL::Test::Npm::unavailable(), DoSQL::Test::Oracle::unavailable());
my $node_path = DoSQL::Test::Npm::modules();
my $script = "$DoSQL::Test::ServerNode::repo_dir/t/js/orms.js";

my $oracle = DoSQL::Test::Oracle->start(tcp => 1);
my ($expected, $order) = run_checks('PostgreSQL 15', [ 'node', $script, '127.0.0.1', $oracle->port, 'postgres', 'x', 'postgres' ],
	env => { NODE_PATH => $node_path });
ok(@$order >= 20, 'PostgreSQL answered every check (' . scalar(@$order) . ')');
$oracle->stop;

my $c = DoSQL::Test::Cluster->new('orms', shards => 4, auth => 'scram-sha-256',
	tables => { sq_users => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		sq_events => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		kx_items => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
$c->start;
my ($got) = run_checks('the router', [ 'node', $script, '127.0.0.1', $c->router->port, 'dosql', 'dosql', 'dosql' ],
	env => { NODE_PATH => $node_path });
compare_checks($expected, $order, $got);
my @per = map { $_->safe_psql('select count(*) from sq_users') } $c->shards;
is(scalar(grep { $_ > 0 } @per), 4, "Sequelize's rows are on every shard (@per)");
my @ev = map { $_->safe_psql('select count(*) from sq_events') } $c->shards;
is(scalar(grep { $_ > 0 } @ev), 4, "the rows with bigserial ids are spread by them over every shard (@ev)");

$c->stop;
done_testing();
