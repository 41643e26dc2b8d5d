# SIGTERM during a pgbench TPC-B run through the router: the router stops
# taking clients, lets each session finish the transaction it is in, then
# closes it (57P01) and exits once the last one went.  Every transaction
# pgbench logged as done is in the data (as many history rows as logged
# transactions) and none is half done (the balances add up on the shards).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IPC::Run;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Utils qw(run_command poll_until);

my $hash = sub { return { column_vindexes => [ { column => $_[0], name => 'hash' } ] } };
my $c = DoSQL::Test::Cluster->new('drain',
	shards => 2,
	tables => {
		pgbench_accounts => $hash->('aid'),
		pgbench_branches => $hash->('bid'),
		pgbench_tellers => $hash->('bid'),
		pgbench_history => $hash->('bid'),
	},
	router_config => { shutdown_timeout_ms => 120000 });
$c->start;
my $router = $c->router;
my @shards = $c->shards;
my $pgbench = "$DoSQL::Test::ServerNode::pg_bindir/pgbench";
my ($rc, $out, $err) = run_command([ $pgbench, '-i', '-s', 1, '-h', '127.0.0.1', '-p', $router->port, '-U', 'dosql', 'dosql' ],
	timeout => 300);
is($rc, 0, 'pgbench -i through the router') or diag("$out\n$err");

my $dir = $c->basedir;
($out, $err) = ('', '');
my $run = IPC::Run::start([ $pgbench, '-n', '-c', 6, '-j', 2, '-t', 1000000, '--max-tries', 1000, '-l',
		"--log-prefix=$dir/pgbench_log", '-h', '127.0.0.1', '-p', $router->port, '-U', 'dosql', 'dosql' ],
	'<', \'', '>', \$out, '2>', \$err);
sub history { return join '+', map { $_->safe_psql('select count(*) from pgbench_history') } @shards; }
ok(poll_until(sub { eval(history()) >= 200 }), 'pgbench commits transactions through the router');

my $pos = $router->log_position;
kill 'TERM', $router->pid;
ok($router->wait_for_log(qr/draining \d+ sessions/, $pos), 'SIGTERM drains the sessions');
ok($router->wait_exit, 'the router exits once the last session ended');
like($router->log_content($pos), qr/the last session ended: stopping/, 'it stopped when the sessions were gone');
$run->finish;
like($err, qr/terminating connection due to administrator command/, 'pgbench clients saw 57P01');
unlike($err, qr/server closed the connection unexpectedly/, 'no client lost its connection without being told');

# every transaction pgbench logged as done is in the data
my $logged = 0;
for my $f (glob "$dir/pgbench_log*") {
	open my $fh, '<', $f or die "$f: $!";
	while (<$fh>) { my @f = split; $logged++ if @f >= 3 && $f[2] =~ /^\d+$/; }
}
my $rows = eval(history());
ok($logged > 0, "pgbench logged $logged transactions");
is($rows, $logged, 'each logged transaction is in pgbench_history, and no other');
my @sums = map {
	my ($col, $table) = @$_;
	eval(join '+', map { $_->safe_psql("select coalesce(sum($col), 0) from $table") } @shards)
} [ 'abalance', 'pgbench_accounts' ], [ 'bbalance', 'pgbench_branches' ], [ 'tbalance', 'pgbench_tellers' ],
  [ 'delta', 'pgbench_history' ];
is("@sums", join(' ', ($sums[3]) x 4), "no transaction is half done: the balances add up (@sums)");
is(join(',', map { $_->safe_psql('select count(*) from pg_prepared_xacts') } @shards), '0,0',
	'no prepared transaction is left');

done_testing();
