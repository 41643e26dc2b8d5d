# pgbench through the router, with its tables sharded so that a TPC-B
# transaction crosses shards (accounts by aid; branches, tellers and history
# by bid, so the tellers' UPDATE by tid runs on every shard): pgbench -i loads them (DDL on every shard, TRUNCATE,
# INSERTs and a COPY split by aid, in one transaction), then every mode of
# the protocol runs with no aborted client, and afterwards the balances add
# up (sum of abalance = sum of bbalance = sum of tbalance = sum of
# history.delta).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Utils qw(run_command);

my $scale = 4;
my $hash = sub { return { column_vindexes => [ { column => $_[0], name => 'hash' } ] } };
my $c = DoSQL::Test::Cluster->new('tpcb',
	shards => 4,
	tables => {
		pgbench_accounts => $hash->('aid'),
		pgbench_branches => $hash->('bid'),
		pgbench_tellers => $hash->('bid'),
		pgbench_history => $hash->('bid'),
	});
$c->start;
my $router = $c->router;

my $pgbench = "$DoSQL::Test::ServerNode::pg_bindir/pgbench";
# pgbench -i through the router: its DDL on every shard, the data in one
# transaction (TRUNCATE, INSERTs, COPY of the accounts split by aid)
my ($rc, $out, $err) = run_command([ $pgbench, '-i', '-s', $scale, '-h', '127.0.0.1', '-p', $router->port, '-U', 'dosql', 'dosql' ],
	timeout => 300);
is($rc, 0, "pgbench -i -s $scale through the router") or diag("$out\n$err");
my $naccounts = 100000 * $scale;
is($router->safe_psql('select count(*) from pgbench_accounts'), $naccounts, "$naccounts accounts loaded through the router");
is($router->safe_psql('select count(*) from pgbench_tellers') . ',' . $router->safe_psql('select count(*) from pgbench_branches'),
	10 * $scale . ",$scale", 'and the tellers and branches');
my @per_shard = map { $_->safe_psql('select count(*) from pgbench_accounts') } $c->shards;
is(scalar(grep { $_ > 0 } @per_shard), 4, "the accounts are spread over the 4 shards (@per_shard)");
# SHOW POOLS per shard: shard, active, idle, opened, closed, taken
sub pools { return map { [ split /\|/ ] } split /\n/, $router->safe_psql('show pools'); }
my @before = pools();

# a fixed number of transactions per client, whatever the machine's speed
my ($clients, $per_client) = (8, 50);
my $total = 0;
for my $mode ('simple', 'extended', 'prepared') {
	($rc, $out, $err) = run_command(
		[ $pgbench, '-n', '-c', $clients, '-j', '2', '-t', $per_client, '-M', $mode, '--max-tries', '1000', '--failures-detailed', '--verbose-errors',
			'-h', '127.0.0.1', '-p', $router->port, '-U', 'dosql', 'dosql' ],
		timeout => 600);
	is($rc, 0, "pgbench TPC-B -M $mode through the router") or diag("$out\n$err");
	unlike($out . $err, qr/aborted/, "pgbench TPC-B -M $mode: no aborted client");
	my ($n) = $out =~ /number of transactions actually processed: (\d+)/;
	is($n // 'none', $clients * $per_client, "pgbench TPC-B -M $mode: every transaction processed");
	my ($failed) = $out =~ /number of failed transactions: (\d+)/;
	is($failed // 'none', 0, "pgbench TPC-B -M $mode: none failed") or diag("$out\n$err");
	my ($retried) = $out =~ /number of transactions retried: (\d+)/;
	note("TPC-B -M $mode: retried " . ($retried // 0));
	$total += $n // 0;
}

# transaction pooling: 24 sessions in three runs shared the shard
# connections, each TPC-B transaction (its tellers UPDATE by tid runs on
# every shard) took a connection of every shard and gave it back, and no
# connection is held once the sessions are gone
my @pools = pools();
is(join(',', map { $_->[1] } @pools), '0,0,0,0', 'no shard connection is held after the runs');
my @opened = map { $pools[$_][3] - $before[$_][3] } 0 .. $#pools;
my @taken = map { $pools[$_][5] - $before[$_][5] } 0 .. $#pools;
ok(!(grep { $_ > 12 } @opened),
	"the 24 pgbench sessions opened at most 12 connections per shard (@opened)");
ok(!(grep { $_ < $total } @taken),
	"each shard handed a connection out for each of the $total transactions (@taken): reused across sessions");

my @sums = map { $router->safe_psql($_) } 'select sum(abalance) from pgbench_accounts',
  'select sum(bbalance) from pgbench_branches', 'select sum(tbalance) from pgbench_tellers',
  'select sum(delta) from pgbench_history';
ok($sums[3] ne '', 'history was written');
is("@sums", join(' ', ($sums[3]) x 4), "the balances add up (abalance, bbalance, tbalance, delta: @sums)");
# a client that went away during two-phase commit leaves its transaction
# to the router's recovery, which resolves it at once
ok(DoSQL::Test::Utils::poll_until(sub { join(',', map { $_->safe_psql('select count(*) from pg_prepared_xacts') } $c->shards) eq '0,0,0,0' }),
	'no prepared transaction is left');

$c->stop;
done_testing();
