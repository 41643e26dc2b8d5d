# node-postgres (pg) and postgres.js through the router, against the same
# script run on a real PostgreSQL 15: parameterised queries over every
# common type, named and reused prepared statements, scatter reads with
# ORDER BY/LIMIT and aggregates, transactions over several shards (commit,
# rollback, 25P02 after an error), errors with their SQLSTATEs, and
# postgres.js's tagged queries, dynamic IN lists, insert helper and
# sql.begin.  Every check must give what PostgreSQL gives.
#
# The checks are in t/js/clients.js, which prints one JSON object per check;
# the npm packages are pinned in t/js/package-lock.json.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Checks qw(run_checks compare_checks check_shards);
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency);
use DoSQL::Test::Npm;
use DoSQL::Test::Oracle;
use DoSQL::Test::Utils qw(run_command);

require_dependency(DoSQL::Test::Npm::unavailable(), DoSQL::Test::Oracle::unavailable());
my $node_path = DoSQL::Test::Npm::modules();
my $script = "$DoSQL::Test::ServerNode::repo_dir/t/js/clients.js";


my $oracle = DoSQL::Test::Oracle->start(tcp => 1);
my ($expected, $order) = run_checks('PostgreSQL 15', [ 'node', $script, '127.0.0.1', $oracle->port, 'postgres', 'x', 'postgres' ], env => { NODE_PATH => $node_path });
ok(@$order >= 25, 'PostgreSQL answered every check (' . scalar(@$order) . ')');
$oracle->stop;

my $c = DoSQL::Test::Cluster->new('js', shards => 4, auth => 'scram-sha-256',
	tables => { js_items => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
$c->start;
my $router = $c->router;
my ($got) = run_checks('the router', [ 'node', $script, '127.0.0.1', $router->port, 'dosql', 'dosql', 'dosql' ], env => { NODE_PATH => $node_path });
compare_checks($expected, $order, $got);
check_shards($c, 'js_items');

$c->stop;
done_testing();
