# Transactions over several shards through the router are atomic, even when
# a process dies at any point of two-phase commit.  Concurrent transfers
# between accounts on different shards run while the router (or a shard) is
# killed at a chosen point (crash points of the test build, DOSQL_FAULT);
# after the restart and the coordinator's recovery: the total balance is
# unchanged, every transfer a client saw committed is there, each account
# holds exactly what the recorded transfers say (nothing half-applied), and
# no prepared transaction is left on any shard.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use POSIX ();
use DoSQL::Test::Cluster;
use DoSQL::Test::Utils qw(poll_until slurp_file);
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }

my $naccounts = 20;
my $c = DoSQL::Test::Cluster->new('tpc',
	shards => 2,
	shard_args => [ '--busy-timeout', '200' ],
	router_config => { prepared_abandon_ms => 3000, recovery_interval_ms => 200 },
	tables => {
		accounts => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		transfers => { column_vindexes => [ { column => 'tid', name => 'hash' } ] },
	});
$c->start;
my $router = $c->router;
my @shards = $c->shards;
$router->safe_psql('create table accounts (id int primary key, bal int not null)');
$router->safe_psql('create table transfers (tid int primary key, src int not null, dst int not null, amount int not null)');
$router->safe_psql('insert into accounts (id, bal) values ' . join(', ', map { "($_, 1000)" } 1 .. $naccounts));
my $total = 1000 * $naccounts;
my @counts = map { $_->safe_psql('select count(*) from accounts') } @shards;
ok($counts[0] > 0 && $counts[1] > 0, "the accounts are on both shards (@counts)");

my $dir = $c->basedir;
my $next_tid = 1;

# A client making up to $count transfers (all of them: undef), ending early
# when its connection breaks or the stop file appears; the tids of
# transfers whose COMMIT succeeded go to $file, one per line.
sub worker
{
	my ($file, $first_tid, $count) = @_;
	my $dbh = DBI->connect('dbi:Pg:host=127.0.0.1;port=' . $router->port . ';dbname=dosql', 'dosql', '',
		{ RaiseError => 1, PrintError => 0, AutoCommit => 1 });
	note("worker connected") if $ENV{DOSQL_TEST_VERBOSE};
	open my $out, '>>', $file or die "$file: $!";
	$out->autoflush(1);
	my $tid = $first_tid;
	my $made = 0;
	while ((!defined $count || $made++ < $count) && !-e "$dir/stop") {
		my ($src, $dst) = (1 + int(rand($naccounts)), 1 + int(rand($naccounts)));
		$dst = $src % $naccounts + 1 if $src == $dst;
		my $amount = 1 + int(rand(10));
		$tid++;
		my $ok = eval {
			$dbh->begin_work;
			$dbh->do('update accounts set bal = bal - ? where id = ?', undef, $amount, $src);
			$dbh->do('update accounts set bal = bal + ? where id = ?', undef, $amount, $dst);
			$dbh->do('insert into transfers (tid, src, dst, amount) values (?, ?, ?, ?)', undef, $tid, $src, $dst, $amount);
			$dbh->commit;
			1;
		};
		if ($ok) {
			print $out "$tid\n";
			next;
		}
		note("transfer $tid: $@") if $ENV{DOSQL_TEST_VERBOSE};
		eval { $dbh->rollback } unless $dbh->{AutoCommit};
		last unless $dbh->ping;
	}
	close $out;
}

# Run clients against the cluster, each making $count transfers, or with
# $wait until $wait returns (then the stop file ends them); returns the
# committed tids.
sub run_clients
{
	my ($nclients, $count, $wait) = @_;
	my @pids;
	my $file = "$dir/committed." . $next_tid;
	unlink $file, "$dir/stop";
	for my $i (1 .. $nclients) {
		my $first = $next_tid + $i * 100000;
		my $pid = fork;
		die "fork: $!" unless defined $pid;
		if ($pid == 0) {
			eval { worker($file, $first, $count) };
			POSIX::_exit(0);
		}
		push @pids, $pid;
	}
	$next_tid += ($nclients + 1) * 100000;
	if ($wait) {
		$wait->();
		DoSQL::Test::Utils::write_file("$dir/stop", '');
	}
	waitpid($_, 0) for @pids;
	return -e $file ? (split /\n/, slurp_file($file)) : ();
}

# The invariants, read through the shards themselves.
sub check
{
	my ($what, @committed) = @_;
	ok(poll_until(sub { !grep { $_->safe_psql('select count(*) from pg_prepared_xacts') ne '0' } @shards }),
		"$what: no prepared transaction is left on any shard");
	my (%bal, %present);
	for my $s (@shards) {
		for (split /\n/, $s->safe_psql('select id, bal from accounts')) {
			my ($id, $b) = split /\|/;
			$bal{$id} = $b;
		}
	}
	my %expect = map { $_ => 1000 } 1 .. $naccounts;
	for my $s (@shards) {
		for (split /\n/, $s->safe_psql('select tid, src, dst, amount from transfers')) {
			my ($tid, $src, $dst, $amount) = split /\|/;
			$present{$tid} = 1;
			$expect{$src} -= $amount;
			$expect{$dst} += $amount;
		}
	}
	my $sum = 0;
	$sum += $_ for values %bal;
	is($sum, $total, "$what: the total balance is unchanged");
	is_deeply(\%bal, \%expect, "$what: every account holds what its recorded transfers say (none half-applied)");
	my @missing = grep { !$present{$_} } @committed;
	is("@missing", '', "$what: every transfer a client saw committed is there (" . scalar(@committed) . ')');
}

# no fault: transfers commit over two shards
my @committed = run_clients(4, 25);
ok(@committed > 10, 'concurrent cross-shard transfers commit (' . scalar(@committed) . ')');
check('without faults', @committed);
like(slurp_file("$dir/coordinator.log"), qr/^C dosql_r1_\d+ \d,\d \d+$/m,
	"commit decisions are in the coordinator log, with the participants' common commit time");

# the router killed at each point of two-phase commit
for my $point ('router-after-prepare:15', 'router-after-decision:15', 'router-after-commit-prepared:15') {
	$router->stop;
	$router->setenv(DOSQL_FAULT => $point);
	$router->start;
	my @done = run_clients(4, undef, sub { ok($router->wait_exit, "the router died at $point") });
	$router->setenv(DOSQL_FAULT => undef);
	$router->start;
	check("router killed at $point", @done);
}

# a shard killed at each point of its part
for my $point ('shard-after-prepare:10', 'shard-before-commit-prepared:10', 'shard-after-commit-prepared:10') {
	my $victim = $shards[1];
	$victim->stop;
	$victim->setenv(DOSQL_FAULT => $point);
	$victim->start;
	my @done = run_clients(4, undef, sub {
		ok($victim->wait_exit, "the shard died at $point");
		if ($point =~ /before-commit-prepared/) {
			# decided, and not committed on the dead shard: in doubt
			like($router->safe_psql('show transactions'), qr/^dosql_r1_\d+\|committing\|(-80,80-|80-,-80)$/m,
				'SHOW TRANSACTIONS lists the decided transaction the dead shard has not committed');
		}
	});
	$victim->setenv(DOSQL_FAULT => undef);
	$victim->start;
	check("shard killed at $point", @done);
}

# after all that, the cluster still works
@committed = run_clients(2, 10);
ok(@committed > 0, 'transfers commit again after the faults');
check('at the end', @committed);

$c->stop;
done_testing();
