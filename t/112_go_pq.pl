# lib/pq (Debian's golang-github-lib-pq-dev, 1.10) with database/sql
# through the router, against the same program run on a real PostgreSQL
# 15: queries with parameters over every common type, db.Prepare reused
# (lib/pq asks for int2/4/8, bytea and uuid results in binary and the rest
# in text), arrays by pq.Array, scatter reads, transactions over several
# shards (commit, rollback, 25P02, READ ONLY, SERIALIZABLE), COPY by
# pq.CopyIn, *pq.Error codes, a context deadline cancelling a scatter, and
# binary_parameters=yes.  Every check must give what PostgreSQL gives,
# except LISTEN (below).
#
# The checks are in t/go/clients.go, built with go build (GOPATH mode,
# Debian's /usr/share/gocode) into the test's temporary directory.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use File::Temp ();
use DoSQL::Test::Checks qw(run_checks compare_checks check_shards);
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Oracle;
use DoSQL::Test::Utils qw(run_command);
use DoSQL::Test::Deps qw(require_dependency program_missing file_missing);

my $gopath = '/usr/share/gocode';
require_dependency(DoSQL::Test::Oracle::unavailable(),
	file_missing("$gopath/src/github.com/lib/pq", 'golang-github-lib-pq-dev'),
	program_missing([ 'go', 'version' ], 'golang-go'));

my $dir = File::Temp::tempdir('dosql_go_XXXXXX', TMPDIR => 1, CLEANUP => 1);
my ($rc, $out, $err) = run_command(
	[ 'go', 'build', '-o', "$dir/clients", "$DoSQL::Test::ServerNode::repo_dir/t/go/clients.go" ],
	env => { GOPATH => $gopath, GO111MODULE => 'off', GOCACHE => "$dir/cache", GOFLAGS => undef },
	timeout => 300);
is($rc, 0, 't/go/clients.go builds') or BAIL_OUT("go build: $out$err");

my $oracle = DoSQL::Test::Oracle->start(tcp => 1);
my ($expected, $order) = run_checks('PostgreSQL 15',
	[ "$dir/clients", $oracle->connstr(host => '127.0.0.1', sslmode => 'disable') ]);
ok(@$order >= 30, 'PostgreSQL answered every check (' . scalar(@$order) . ')');
$oracle->stop;

my $c = DoSQL::Test::Cluster->new('gopq', shards => 4, auth => 'scram-sha-256',
	tables => { go_items => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
$c->start;
my ($got) = run_checks('the router', [ "$dir/clients", $c->router->connstr(sslmode => 'disable') ]);
compare_checks($expected, $order, $got,
	differs => {
		# LISTEN/NOTIFY (pq.Listener) through the router: not yet
		'error: LISTEN' => '{"error":"0A000"}',
	});
check_shards($c, 'go_items');

$c->stop;
done_testing();
