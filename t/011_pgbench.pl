# pgbench against a single dosql-shard: initialisation through COPY, then the
# TPC-B-like script in simple, extended and prepared protocol modes with
# several clients (-n: history accumulates across runs).  Serialization failures are allowed (pgbench retries the
# client), aborted clients are not, and the balances must add up afterwards.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Utils qw(run_command);

my $node = DoSQL::Test::ServerNode->new_shard('pgbench');
$node->start;
my $pgbench = "$DoSQL::Test::ServerNode::pg_bindir/pgbench";
my @conn = ('-h', $node->host, '-p', $node->port, '-U', 'dosql');

my ($rc, $out, $err) = run_command([$pgbench, '-i', '-s', '2', @conn, 'dosql'], timeout => 300);
is($rc, 0, 'pgbench -i -s 2 succeeds') or diag($err);
like($err, qr/done in/, 'initialisation completed');
is($node->safe_psql('select count(*) from pgbench_accounts'), '200000', '200000 accounts loaded by COPY');
is($node->safe_psql('select count(*), min(bid), max(bid) from pgbench_branches'), '2|1|2', 'branches');
is($node->safe_psql("select count(*) from pgbench_accounts where octet_length(filler) = 84 and filler = ''"), '200000',
	'char(84) filler is blank-padded');

for my $mode (qw(simple extended prepared)) {
	($rc, $out, $err) = run_command([$pgbench, '-n', '-c', '4', '-j', '2', '-t', '100', '-M', $mode, @conn, 'dosql'],
		timeout => 600);
	is($rc, 0, "pgbench -M $mode exits 0") or diag($err);
	unlike($out . $err, qr/aborted/, "pgbench -M $mode: no aborted clients");
	my ($tx) = $out =~ /number of transactions actually processed: (\d+)/;
	is($tx // 'none', 400, "pgbench -M $mode processed its 4 x 100 transactions") or diag($out);
	my ($tps) = $out =~ /tps = ([\d.]+)/;
	note("pgbench -M $mode: $tx transactions, tps $tps");
}

# every committed transaction moved the same delta through account, teller,
# branch and history: the four sums must agree
my $sums = $node->safe_psql(q{select (select sum(abalance) from pgbench_accounts),
	(select sum(tbalance) from pgbench_tellers), (select sum(bbalance) from pgbench_branches),
	(select sum(delta) from pgbench_history)});
my @s = split /\|/, $sums;
ok(@s == 4 && $s[0] == $s[1] && $s[1] == $s[2] && $s[2] == $s[3], "balances add up ($sums)");
isnt($node->safe_psql('select count(*) from pgbench_history'), '0', 'history rows were written');

# select-only, prepared: the read path
($rc, $out, $err) = run_command([$pgbench, '-S', '-c', '4', '-j', '2', '-t', '200', '-M', 'prepared', @conn, 'dosql'],
	timeout => 300);
is($rc, 0, 'pgbench -S -M prepared exits 0') or diag($err);
like($out, qr/number of transactions actually processed: 800\b/, 'pgbench -S -M prepared processed its 4 x 200 transactions');

done_testing();
