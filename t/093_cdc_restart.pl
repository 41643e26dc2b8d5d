# pg_recvlogical follows the cluster through restarts: the router stopped
# and started, the router killed with SIGKILL, a shard killed and started
# again, all while it streams and while writes go on.  pg_recvlogical
# reconnects by itself and goes on from the slot's confirmed position:
# every transaction arrives, whole.  Before each interruption the test waits
# until SHOW SLOTS says the client confirmed everything, so nothing may
# arrive twice (what a client has not confirmed may, as with PostgreSQL).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use POSIX ();
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Utils qw(run_command poll_until slurp_file);

my $c = DoSQL::Test::Cluster->new('cdcrs',
	shards => 4,
	shard_args => [ '--changelog-retention', '0' ],
	tables => { ev => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
$c->start;
my $router = $c->router;
my @shards = $c->shards;
$router->safe_psql('create table ev (id int primary key, batch int)');
my $recvlogical = DoSQL::Test::ServerNode::pg_program('pg_recvlogical');
my @conn = ('-h', $router->host, '-p', $router->port, '-U', 'dosql', '-d', 'dosql');
my ($rc, $o, $err) = run_command([ $recvlogical, @conn, '-S', 'rs', '--create-slot', '-P', 'test_decoding' ]);
is($rc, 0, 'slot created') or diag($err);
# a slot nobody reads: it holds the changelog back, and shows as lag
($rc, $o, $err) = run_command([ $recvlogical, @conn, '-S', 'idle', '--create-slot', '-P', 'test_decoding' ]);
is($rc, 0, 'a second slot, never read') or diag($err);

my $file = $c->basedir . '/stream.txt';
my $pid = fork();
die "fork: $!" unless defined $pid;
if ($pid == 0)
{
	open(STDERR, '>', $c->basedir . '/recvlogical.log') or POSIX::_exit(1);
	exec($recvlogical, @conn, '-S', 'rs', '--start', '-f', $file, '-F', '0', '-s', '1', '-o', 'include-xids=0')
	  or POSIX::_exit(1);
}

# Write batch b: ids from..to, one at a time and in three-shard inserts.
my $next = 1;
my %expected;
sub write_batch
{
	my ($b, $n) = @_;
	for (1 .. $n)
	{
		my @ids = ($next .. $next + 2);
		$next += 3;
		my $sql = $_ % 2
		  ? "insert into ev (id, batch) values " . join(', ', map { "($_, $b)" } @ids)
		  : join('; ', map { "insert into ev (id, batch) values ($_, $b)" } @ids);
		$router->safe_psql($sql);
		$expected{$_} = 1 for @ids;
	}
}

sub received
{
	my %seen;
	return {} unless -e $file;
	my $text = slurp_file($file);
	$seen{$1}++ while $text =~ /INSERT: id\[integer\]:(\d+) /g;
	return \%seen;
}

sub all_received
{
	my ($what) = @_;
	ok(poll_until(sub { my $r = received(); !grep { !$r->{$_} } keys %expected }, 60),
		"$what: every row written so far arrived");
	# SHOW SLOTS: slot_name|plugin|active|active_pid|confirmed|sent|lag_bytes|pending_changes
	ok(poll_until(sub { $router->safe_psql('show slots') =~ /^rs\|test_decoding\|t\|.*\|0$/m }, 30),
		"$what: SHOW SLOTS shows the slot active with every change confirmed")
	  or diag($router->safe_psql('show slots'));
}

write_batch(1, 10);
all_received('streaming');
is($router->safe_psql('select slot_name, plugin, slot_type, active, active_pid is not null from pg_replication_slots order by 1'),
	"idle|test_decoding|logical|f|f\nrs|test_decoding|logical|t|t", 'pg_replication_slots shows which slot is streamed');
($rc, $o, $err) = run_command([ $recvlogical, @conn, '-S', 'rs', '--start', '--no-loop', '-f', '-' ]);
like($err, qr/replication slot "rs" is active/, 'a second client of the streaming slot is refused (55006)');

$router->restart;
write_batch(2, 10);
all_received('after the router restarted');

$router->kill9;
$router->start;
write_batch(3, 10);
all_received('after the router was killed');

$shards[2]->kill9;
$shards[2]->start;
write_batch(5, 10);
all_received('after a shard was killed and started again');

kill 'INT', $pid;
waitpid($pid, 0);

my $text = slurp_file($file);
my $r = received();
is(scalar(grep { !$r->{$_} } keys %expected), 0, 'nothing was lost');
my @dups = grep { $r->{$_} > 1 } sort { $a <=> $b } keys %$r;
is("@dups", '', 'nothing that was confirmed arrived again');
my @blocks = $text =~ /^BEGIN\n(.*?)^COMMIT$/msg;
my %count;
$count{$_}++ for @blocks;
my $partial = grep {
	my $block = $_;
	grep { $_ ne $block && index($_, $block) >= 0 } keys %count
} keys %count;
is($partial, 0, 'every transaction arrived whole (a repeat is a repeat of the whole transaction)');
ok(!grep({ !/^(BEGIN|COMMIT|table public\.ev: INSERT: id\[integer\]:\d+ batch\[integer\]:\d+)$/ } split /\n/, $text),
	'the stream holds only the transactions written');

sub changelog_rows
{
	my $left = 0;
	for my $sh (@shards)
	{
		my $n = $sh->sqlite_query('select count(*) from _dosql_changelog');
		die "sqlite3: not a count: $n" if $n !~ /^\d+$/;
		$left += $n;
	}
	return $left;
}
my $rows = scalar(keys %expected);
like($router->safe_psql('show slots'), qr/^idle\|test_decoding\|f\|\|[0-9A-F]+\/[0-9A-F]+\|\|[1-9]\d*\|$rows$/m,
	"SHOW SLOTS: the unread slot is inactive, with a lag in bytes and its $rows changes pending");
is(changelog_rows(), $rows, 'the unread slot keeps every change in the changelogs (no retention window)');
($rc, $o, $err) = run_command([ $recvlogical, @conn, '-S', 'idle', '--drop-slot' ]);
is($rc, 0, 'the unread slot dropped') or diag($err);
my $left = changelog_rows();
ok($left <= 3, "then the changelogs are trimmed up to the read slot's confirmed position ($left rows left of $rows)");

$c->stop;
is($_->sanitizer_report, '', $_->name . ': no sanitizer reports') for $c->router, $c->shards;
done_testing();
