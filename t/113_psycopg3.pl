# psycopg 3 (Debian's python3-psycopg) through the router, against the same
# script run on a real PostgreSQL 15: text and binary parameters and
# results (binary also over scatter reads with ORDER BY, aggregates and
# GROUP BY), executemany, statements prepared after five executions,
# pipeline mode (and its error handling), COPY FROM STDIN in text and
# binary format split over the shards (a bad binary header, a rolled-back
# binary COPY), COPY TO STDOUT in text and binary, transactions and errors.
# Every check must give what PostgreSQL gives.
#
# The checks are in t/py/psycopg3_clients.py, which prints one JSON object
# per check.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Checks qw(run_checks compare_checks check_shards);
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Oracle;
use DoSQL::Test::Utils qw(run_command);
use DoSQL::Test::Deps qw(require_dependency python_module_missing);

require_dependency(python_module_missing('psycopg', 'python3-psycopg'), DoSQL::Test::Oracle::unavailable());
my $python = $DoSQL::Test::Deps::python;
my $script = "$DoSQL::Test::ServerNode::repo_dir/t/py/psycopg3_clients.py";


my $oracle = DoSQL::Test::Oracle->start;
my ($expected, $order) = run_checks('PostgreSQL 15',
	[ $python, $script, $oracle->connstr ]);
ok(@$order >= 20, 'PostgreSQL answered every check (' . scalar(@$order) . ')');
$oracle->stop;

my $c = DoSQL::Test::Cluster->new('py3', shards => 4,
	tables => { py3_items => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
$c->start;
my $router = $c->router;
my ($got) = run_checks('the router', [ $python, $script, $router->connstr ]);
compare_checks($expected, $order, $got);
check_shards($c, 'py3_items where id >= 300 and id < 340'); # the binary COPY's rows

$c->stop;
done_testing();
