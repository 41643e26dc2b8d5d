# A dead shard and a stopped one (SIGSTOP) while pgbench runs on the
# others: /health/deep reports the one down and the other timed out within
# its deadline, a statement for the stopped shard ends with 57014 naming it
# once shard_timeout_ms passed, a transaction that reached it is rolled
# back everywhere, and the sessions on the healthy shards go on
# (pgbench completes every transaction).  query_timeout_ms is the
# sessions' default statement_timeout, which a session may change.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IPC::Run;
use JSON::PP;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency program_missing);
use DoSQL::Test::Utils qw(run_command poll_until free_port);

require_dependency(program_missing([ 'curl', '--version' ], 'curl'));

my $http_port = free_port();
my $c = DoSQL::Test::Cluster->new('shtimeout',
	shards => 4,
	tables => { kv => { column_vindexes => [ { column => 'id', name => 'hash' } ] } },
	router_config => { http => { host => '127.0.0.1', port => $http_port + 0 }, health_timeout_ms => 1000,
		shard_timeout_ms => 1500, query_timeout_ms => 60000 });
$c->start;
my $router = $c->router;
my @shards = $c->shards;
my @names = $c->shard_names;
$router->safe_psql('create table kv (id int primary key, v int)');
$router->safe_psql('insert into kv (id, v) values ' . join(', ', map { "($_, 0)" } 1 .. 200));
my %on;
for my $i (0 .. 3) { $on{$i} = [ split /\n/, $shards[$i]->safe_psql('select id from kv order by id') ]; }
ok(@{ $on{$_} } > 0, "shard $names[$_] holds rows") for 0 .. 3;

is($router->safe_psql('show statement_timeout'), '1min', 'query_timeout_ms is the sessions\' statement_timeout');
is($router->safe_psql("set statement_timeout = '5s'; show statement_timeout"), '5s', 'which a session may change');

# pgbench on rows of the first and last shards only: a script per row
my $dir = $c->basedir;
my @healthy = ((grep { defined } @{ $on{0} }[ 0 .. 39 ]), (grep { defined } @{ $on{3} }[ 0 .. 39 ]));
my @scripts;
for my $id (@healthy) {
	open my $fh, '>', "$dir/up_$id.sql" or die $!;
	print $fh "update kv set v = v + 1 where id = $id;\n";
	close $fh;
	push @scripts, '-f', "$dir/up_$id.sql";
}
my $pgbench = "$DoSQL::Test::ServerNode::pg_bindir/pgbench";
my ($out, $err) = ('', '');
my $run = IPC::Run::start([ $pgbench, '-n', '-c', 4, '-t', 3000, @scripts, '-h', '127.0.0.1', '-p',
		$router->port, '-U', 'dosql', 'dosql' ], '<', \'', '>', \$out, '2>', \$err);
ok(poll_until(sub { $router->safe_psql('select sum(v) from kv') > 20 }), 'pgbench runs');

$shards[1]->kill9;
kill 'STOP', $shards[2]->pid;

my ($rc, $body) = run_command([ 'curl', '-s', '-m', '30', "http://127.0.0.1:$http_port/health/deep" ]);
my %state = map { $_->{name} => $_->{status} } @{ (eval { decode_json($body) } // {})->{shards} // [] };
is_deeply(\%state, { $names[0] => 'up', $names[1] => 'down', $names[2] => 'timeout', $names[3] => 'up' },
	'/health/deep: the killed shard down, the stopped one timed out') or diag($body);

my ($prc, $pout, $perr) = $router->psql("select v from kv where id = $on{2}[0]", timeout => 60);
like($perr, qr/canceling statement due to shard_timeout_ms: shard "\Q$names[2]\E" did not answer within 1500 ms/,
	'a statement for the stopped shard ends naming it');
($prc, $pout, $perr) = $router->psql("\\set VERBOSITY verbose\nselect v from kv where id = $on{2}[0]", timeout => 60);
like($perr, qr/ERROR:  57014:/, 'with SQLSTATE 57014');
($prc, $pout, $perr) = $router->psql("select v from kv where id = $on{1}[0]", timeout => 60);
like($perr, qr/shard "\Q$names[1]\E" is unavailable/, 'a statement for the dead shard fails at once');
is($router->safe_psql("select v > 0 or v = 0 from kv where id = $on{3}[0]", timeout => 60), 't',
	'a healthy shard answers meanwhile');
# the sum rises while the shard is stopped, unless pgbench has done all
# its 12,000 transactions already (the shard stays stopped until after it)
my $healthy_sum = sub { $router->safe_psql('select sum(v) from kv where id in (' . join(',', @healthy) . ')', timeout => 60) };
my $sum = $healthy_sum->();
ok(poll_until(sub { my $now = $healthy_sum->(); $now > $sum || $now == 12000 }),
	'pgbench goes on on the healthy shards while one is stopped');

$run->finish;
is($run->result(0), 0, 'pgbench on the healthy shards completed') or diag("$out\n$err");
like($out, qr/number of transactions actually processed: 12000\/12000/, 'every one of its transactions');
is($router->safe_psql("select sum(v) from kv where id in (" . join(',', @healthy) . ")"), 12000,
	'and each is in the data');
# a transaction that reached the stopped shard is rolled back everywhere
# (after pgbench: its write holds the first shard's writer until then)
($prc, $pout, $perr) = $router->psql("begin;\nupdate kv set v = -1000 where id = $on{0}[0];\n"
	  . "update kv set v = -1000 where id = $on{2}[0];\ncommit;", timeout => 60);
like($perr, qr/did not answer within/, 'a transaction writing to the stopped shard fails');
kill 'CONT', $shards[2]->pid;
$shards[1]->start;
is($router->safe_psql("select v from kv where id = $on{2}[0]", timeout => 60), '0', 'the resumed shard has no part of it');
unlike($router->safe_psql("select v from kv where id = $on{0}[0]"), qr/^-1000$/, 'the first write was rolled back');

done_testing();
