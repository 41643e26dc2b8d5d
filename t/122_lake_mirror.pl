# DoLake's mirror mode: each table as the source has it, upserts and
# deletes as Iceberg v2 equality deletes on the primary key.  A workload of
# inserts, updates, deletes, a key that moves between shards, a two-phase
# transaction and a TRUNCATE runs through the router while the sink is
# killed with SIGKILL at its crash points and started again; then icebird
# (which applies equality deletes itself) and DuckDB SQL over the data and
# delete files (a delete removes the rows of older files with its key) both
# read exactly the router's rows.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Npm;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency);
use DoSQL::Test::Lake;

require_dependency(DoSQL::Test::Npm::unavailable());

my ($c, $router) = DoSQL::Test::Lake::workload_cluster('lakem');

my $lake = DoSQL::Test::Lake->new($c, mode => 'mirror', flushThresholdEvents => 30, flushThresholdMs => 300,
	flushIntervalMs => 100);
my $sink = $lake->node;

$lake->crash_workload($router);

$lake->check_mirror($router, sub { [] });

$sink->stop;
$c->stop;
is($_->sanitizer_report, '', $_->name . ': no sanitizer reports') for $sink, $c->router, $c->shards;
done_testing();
