# One slow shard does not stall the router.  The first shard describes the
# statements clients Parse and tells the planner the column types of the
# tables; while it is stopped (SIGSTOP), a client whose Parse or query
# waits for it waits alone: the router still answers other sessions, their
# queries on the other shard included, and the waiting statement completes
# once the shard goes on.  A client that leaves while its Parse waits
# leaves nothing behind (the sanitizer checks at the end).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IPC::Run;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Utils qw(poll_until);

my $c = DoSQL::Test::Cluster->new('slow',
	shards => 2,
	tables => { kv => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
$c->start;
my $router = $c->router;
my @shards = $c->shards;
$router->safe_psql('create table kv (id int primary key, v text)');
$router->safe_psql('insert into kv (id, v) values ' . join(', ', map { "($_, 'v$_')" } 1 .. 40));
my $other = $shards[1]->safe_psql('select min(id) from kv');
ok($other, 'the second shard holds a row');
is($router->safe_psql("select v from kv where id = $other"), "v$other", 'a keyed read through the router');

my $pgbench = "$DoSQL::Test::ServerNode::pg_bindir/pgbench";
my $dir = $c->basedir;
# pgbench -M prepared: Parse (described by the first shard), then Bind/Execute
sub pgbench_start
{
	my ($script, $out, $err) = @_;
	open my $fh, '>', "$dir/$script.sql" or die $!;
	print $fh "\\set id $other\nselect v as $script from kv where id = :id;\n";
	close $fh;
	return IPC::Run::start([ $pgbench, '-n', '-M', 'prepared', '-t', '1', '-f', "$dir/$script.sql", '-h', $router->host,
			'-p', $router->port, '-U', 'dosql', 'dosql' ], '<', \'', '>', $out, '2>', $err);
}
my ($out, $err) = ('', '');
my $h = pgbench_start('warm', \$out, \$err);
$h->finish;
is($h->result(0), 0, 'a Parse before the stop is described') or diag("rc " . $h->result(0) . " out $out err $err");

sub misses
{
	my ($rc, $o) = $router->psql('show plan_cache', timeout => 10, timed_out => \my $to);
	return $to || $rc != 0 ? undef : (split /\|/, $o)[2];
}
my $before = misses();
ok(defined $before, 'SHOW plan_cache');

kill 'STOP', $shards[0]->pid;
($out, $err) = ('', '');
$h = pgbench_start('waits', \$out, \$err);
# the router got the Parse (a new text in its plan cache) and answers
my $answered = poll_until(sub { my $m = misses(); defined $m && $m > $before });
ok($answered, 'the router answers another session while a Parse waits for the stopped shard');
my ($rc, $v) = $router->psql("select v from kv where id = $other", timeout => 30, timed_out => \my $to);
ok(!$to && $rc == 0 && $v eq "v$other", 'a query on the other shard is answered meanwhile');
ok($h->pumpable, 'the Parse waits for the stopped shard (pgbench has not finished)');

# a client that leaves while its Parse waits
my ($out2, $err2) = ('', '');
$before = misses();
my $h2 = pgbench_start('leaves', \$out2, \$err2);
ok(poll_until(sub { my $m = misses(); defined $m && $m > $before }), 'a second Parse waits');
$h2->kill_kill;

kill 'CONT', $shards[0]->pid;
$h->finish;
is($h->result(0), 0, 'the waiting Parse completes when the shard goes on') or diag($err);
like($out, qr/number of transactions actually processed: 1/, 'and its statement runs');
is($router->safe_psql("select count(*) from kv"), '40', 'the router serves on');

# The planner's column types come from the first shard too.  DDL makes the
# router forget them; a query that needs them then waits alone.
$router->safe_psql('create index kv_v on kv (v)');
$before = misses();
kill 'STOP', $shards[0]->pid;
my ($qout, $qerr) = ('', '');
my $q = IPC::Run::start([ "$DoSQL::Test::ServerNode::pg_bindir/psql", '-X', '-A', '-t', '-d', $router->connstr,
		'-c', "select v, id from kv where id = $other" ], '<', \'', '>', \$qout, '2>', \$qerr);
ok(poll_until(sub { my $m = misses(); defined $m && $m > $before }),
	'the router answers another session while a query waits for its column types');
ok($q->pumpable, 'the query waits for the stopped shard');
kill 'CONT', $shards[0]->pid;
$q->finish;
chomp $qout;
is($qout, "v$other|$other", 'and is answered when the shard goes on') or diag($qerr);

$c->stop;
is($_->sanitizer_report, '', $_->name . ': no sanitizer reports') for $c->router, $c->shards;

done_testing();
