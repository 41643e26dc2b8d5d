# pgbench's TPC-B transaction through the router, with its tables sharded
# so that a transaction crosses shards (accounts by aid, tellers by tid,
# branches and history by bid): every mode of the protocol runs with no
# aborted client, and afterwards the balances add up (sum of abalance = sum
# of bbalance = sum of tbalance = sum of history.delta).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::Utils qw(run_command);

my $scale = 2;
my $hash = sub { return { column_vindexes => [ { column => $_[0], name => 'hash' } ] } };
my $c = DoSQL::Test::Cluster->new_cluster('tpcb',
	shards => 4,
	tables => {
		pgbench_accounts => $hash->('aid'),
		pgbench_branches => $hash->('bid'),
		pgbench_tellers => $hash->('tid'),
		pgbench_history => $hash->('bid'),
	});
$c->start;
my $router = $c->router;

# pgbench's own tables, filled through the router
$router->safe_psql('create table pgbench_branches (bid int not null primary key, bbalance int, filler char(88))');
$router->safe_psql('create table pgbench_tellers (tid int not null primary key, bid int, tbalance int, filler char(84))');
$router->safe_psql('create table pgbench_accounts (aid int not null primary key, bid int, abalance int, filler char(84))');
$router->safe_psql('create table pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))');
$router->safe_psql('insert into pgbench_branches (bid, bbalance) values ' . join(', ', map { "($_, 0)" } 1 .. $scale));
$router->safe_psql('insert into pgbench_tellers (tid, bid, tbalance) values '
	  . join(', ', map { "($_, " . (1 + int(($_ - 1) / 10)) . ', 0)' } 1 .. 10 * $scale));
my $naccounts = 100000 * $scale;
for (my $first = 1; $first <= $naccounts; $first += 10000) {
	$router->safe_psql('insert into pgbench_accounts (aid, bid, abalance) values '
		  . join(', ', map { "($_, " . (1 + int(($_ - 1) / 100000)) . ', 0)' } $first .. $first + 9999));
}
is($router->safe_psql('select count(*) from pgbench_accounts'), $naccounts, "$naccounts accounts loaded through the router");
my @per_shard = map { $_->safe_psql('select count(*) from pgbench_accounts') } $c->shards;
is(scalar(grep { $_ > 0 } @per_shard), 4, "spread over the 4 shards (@per_shard)");

my $pgbench = "$DoSQL::Test::Cluster::pg_bindir/pgbench";
for my $mode ('simple', 'extended', 'prepared') {
	my ($rc, $out, $err) = run_command(
		[ $pgbench, '-n', '-c', '8', '-j', '2', '-T', '5', '-M', $mode, '--max-tries', '0',
			'-h', '127.0.0.1', '-p', $router->port, '-U', 'dosql', 'dosql' ],
		timeout => 120);
	is($rc, 0, "pgbench TPC-B -M $mode through the router") or diag("$out\n$err");
	unlike($out . $err, qr/aborted/, "pgbench TPC-B -M $mode: no aborted client");
	my ($n) = $out =~ /number of transactions actually processed: (\d+)/;
	ok(($n // 0) > 0, "pgbench TPC-B -M $mode: transactions processed (" . ($n // 0) . ')');
	my ($tps) = $out =~ /tps = ([\d.]+)/;
	my ($failed) = $out =~ /number of failed transactions: (\d+)/;
	note("TPC-B -M $mode: tps $tps, failed $failed");
}

my @sums = map { $router->safe_psql($_) } 'select sum(abalance) from pgbench_accounts',
  'select sum(bbalance) from pgbench_branches', 'select sum(tbalance) from pgbench_tellers',
  'select sum(delta) from pgbench_history';
ok($sums[3] ne '', 'history was written');
is("@sums", join(' ', ($sums[3]) x 4), "the balances add up (abalance, bbalance, tbalance, delta: @sums)");
# a client that went away during two-phase commit leaves its transaction
# to the router's recovery, which resolves it at once
ok(DoSQL::Test::Utils::poll_until(sub { join(',', map { $_->safe_psql('select count(*) from pg_prepared_xacts') } $c->shards) eq '0,0,0,0' }, 10),
	'no prepared transaction is left');

$c->stop;
done_testing();
