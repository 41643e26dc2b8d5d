# Chaos: transfers between accounts sharded over four shards run while the
# router and the shards are killed with SIGKILL one after another, every
# second and a half, and started again, twice round.  Clients reconnect and
# go on until the kills are over (at most a bounded number of attempts
# each).  Afterwards, with every
# process up and the coordinator's recovery done: no prepared transaction is
# left, the total balance is unchanged, every account holds exactly what the
# recorded transfers say (no transfer half-applied) and every transfer whose
# COMMIT a client saw succeed is there.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use POSIX ();
use Time::HiRes qw(usleep);
use DoSQL::Test::Cluster;
use DoSQL::Test::Utils qw(poll_until slurp_file);
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }

my $naccounts = 40;
my $nclients = 4;
my $attempts = 5000; # per client, at most
my $rounds = 2;      # of kills over the router and the shards
my %by_key = (accounts => 'id', moves => 'tid');
my $c = DoSQL::Test::Cluster->new('chaos',
	shard_args => [ '--busy-timeout', '200' ],
	router_config => { prepared_abandon_ms => 2000, recovery_interval_ms => 200 },
	tables => { map { $_ => { column_vindexes => [ { column => $by_key{$_}, name => 'hash' } ] } } keys %by_key });
$c->start;
my $router = $c->router;
my @shards = $c->shards;
$router->safe_psql(join ";\n", 'create table accounts (id int primary key, bal int not null)',
	'create table moves (tid int primary key, src int not null, dst int not null, amount int not null)',
	'insert into accounts (id, bal) values ' . join(', ', map { "($_, 1000)" } 1 .. $naccounts));
my $total = 1000 * $naccounts;
my $dir = $c->basedir;

# a connection to the router, waiting for it to come back when it is down
sub connect_router
{
	for (1 .. 600) {
		my $dbh = eval {
			DBI->connect('dbi:Pg:host=127.0.0.1;port=' . $router->port . ';dbname=dosql', 'dosql', '',
				{ RaiseError => 1, PrintError => 0, AutoCommit => 1 });
		};
		return $dbh if $dbh;
		usleep(100_000);
	}
	die "the router did not come back";
}

# transfers of client $i until the stop file appears; the tids whose COMMIT succeeded go to
# its file, one per line
sub client
{
	my ($i) = @_;
	open my $out, '>', "$dir/acked.$i" or die "$dir/acked.$i: $!";
	$out->autoflush(1);
	my $dbh;
	for (my $n = 1; $n <= $attempts && !-e "$dir/stop"; $n++) {
		my $tid = $i * 100000 + $n;
		my ($src, $dst) = (1 + int(rand($naccounts)), 1 + int(rand($naccounts)));
		$dst = $src % $naccounts + 1 if $src == $dst;
		my $amount = 1 + int(rand(10));
		$dbh //= connect_router();
		my @steps = (['update accounts set bal = bal - ? where id = ?', $amount, $src],
			['update accounts set bal = bal + ? where id = ?', $amount, $dst],
			['insert into moves (tid, src, dst, amount) values (?, ?, ?, ?)', $tid, $src, $dst, $amount]);
		my $ok = eval {
			$dbh->begin_work;
			$dbh->do($_->[0], undef, @{$_}[ 1 .. $#$_ ]) for @steps;
			$dbh->commit;
		};
		if ($ok) {
			print $out "$tid\n";
			next;
		}
		eval { $dbh->rollback } unless $dbh->{AutoCommit};
		$dbh = undef unless $dbh->ping;
		usleep(20_000);
	}
	close $out;
}

my @pids;
for my $i (1 .. $nclients) {
	my $pid = fork;
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		my $ok = eval { client($i); 1 };
		print STDERR "client $i: $@" unless $ok;
		POSIX::_exit($ok ? 0 : 1);
	}
	push @pids, $pid;
}

# kill one process after another while the clients run
my @victims = ($router, @shards);
for my $k (1 .. $rounds * @victims) {
	usleep(1_500_000);
	my $victim = $victims[ $k % @victims ];
	$victim->kill9;
	usleep(300_000);
	$victim->start;
}
DoSQL::Test::Utils::write_file("$dir/stop", '');
my @failed = grep { waitpid($_, 0) == $_ && $? != 0 } @pids;
is(scalar(@failed), 0, 'every client went on through the kills (reconnecting)');

ok(poll_until(sub { !grep { $_->safe_psql('select count(*) from pg_prepared_xacts') ne '0' } @shards }),
	'after recovery no prepared transaction is left on any shard');
my %bal = map { split /\|/ } split /\n/, $router->safe_psql('select id, bal from accounts');
my %expect = map { $_ => 1000 } 1 .. $naccounts;
for my $side ([ src => -1 ], [ dst => 1 ]) {
	my ($col, $sign) = @$side;
	for (split /\n/, $router->safe_psql("select $col, sum(amount) from moves group by $col")) {
		my ($id, $moved) = split /\|/;
		$expect{$id} += $sign * $moved;
	}
}
my %present = map { $_ => 1 } split /\n/, $router->safe_psql('select tid from moves');
is($router->safe_psql('select sum(bal) from accounts'), $total, 'the total balance is unchanged');
is_deeply(\%bal, \%expect, 'every account holds what its recorded transfers say (none half-applied)');
my @acked = map { -e "$dir/acked.$_" ? split(/\n/, slurp_file("$dir/acked.$_")) : () } 1 .. $nclients;
ok(@acked > $nclients, 'transfers were acknowledged under the kills (' . scalar(@acked) . ')');
my @missing = grep { !$present{$_} } @acked;
is("@missing", '', 'every acknowledged transfer is there (' . scalar(@acked) . ' acknowledged, '
	. scalar(keys %present) . ' found)');

$c->stop;
done_testing();
