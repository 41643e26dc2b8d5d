# dosql-shard with row locks (--row-locks 1): a transaction block holds the
# rows it updates, not SQLite's writer, between its statements.  Writers of
# other rows go on meanwhile; a writer of the same row waits for the holder
# and then sees its value; a cycle of waits is 40P01; a statement that is not
# a one-row UPDATE makes the block hold the writer as without row locks;
# commits are in the changelog.  A prepared transaction holds its rows, not
# the writer: other rows are written meanwhile at even times, the watermark
# stays below its commit, which takes the (odd) time given even below those;
# one prepared transaction at a time unless the shard knows its index; it
# keeps its changes and its rows (not the writer) across a SIGKILL;
# concurrent transfers keep the balances.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing program_missing);

BEGIN
{
	require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl'));
	require_dependency(program_missing([ 'sqlite3', '-version' ], 'sqlite3'));
	DBD::Pg->import(':async');
}
use DoSQL::Test::Utils qw(poll_until run_command);
use Time::Local qw(timegm);

my $node = DoSQL::Test::ServerNode->new_shard('rowlocks', args => [ '--busy-timeout', '3000', '--row-locks', '1' ]);
$node->start;
sub connect_db
{
	DBI->connect($node->dsn, 'dosql', '', { RaiseError => 1, PrintError => 0, AutoCommit => 1 });
}
sub bal
{
	my ($db, $id) = @_;
	return ($db->selectrow_array('select bal from acc where id = ?', undef, $id))[0];
}
sub finished { my ($db) = @_; return poll_until(sub { $db->pg_ready }); }

my $a = connect_db();
my $b = connect_db();
my $c = connect_db();
$a->do('create table acc (id int primary key, bal int not null)');
$a->do('insert into acc select g, 1000 from generate_series(1, 100) g');

# other rows: no wait
$a->begin_work;
is($a->do('update acc set bal = bal - 10 where id = 1'), 1, 'A updates row 1 in a block');
$b->begin_work;
$b->do('update acc set bal = bal + 10 where id = 2', { pg_async => PG_ASYNC });
ok(finished($b), 'B updates row 2 while A is open');
is(eval { $b->pg_result } // $b->state, 1, '... without waiting for A (one row updated, no error)');
$b->commit;
is(bal($c, 2), 1010, "B's commit is visible");
is(bal($c, 1), 1000, "A's update is not, before its COMMIT");

# the same row: wait, then the holder's value
$b->begin_work;
$b->do('update acc set bal = bal - 5 where id = 1', { pg_async => PG_ASYNC });
ok(!poll_until(sub { $b->pg_ready }, 0.5), 'B waits for row 1, which A holds');
$a->commit;
ok(finished($b), 'and goes on once A commits');
is($b->pg_result, 1, '... updating the row');
$b->commit;
is(bal($c, 1), 985, 'row 1 has both updates (1000 - 10 - 5)');

# a rollback frees the row, and its change is gone
$a->begin_work;
$a->do('update acc set bal = 0 where id = 3');
$b->do('update acc set bal = bal + 1 where id = 3', { pg_async => PG_ASYNC });
ok(!poll_until(sub { $b->pg_ready }, 0.5), 'an UPDATE outside a block waits for the row ...');
$a->rollback;
ok(finished($b), '... until the holder rolls back');
is($b->pg_result, 1, 'then it updates the row');
is(bal($c, 3), 1001, 'row 3 has the UPDATE and not the rolled back change');

# deadlock inside the shard
$a->begin_work;
$b->begin_work;
$a->do('update acc set bal = bal + 1 where id = 10');
$b->do('update acc set bal = bal + 1 where id = 11');
$a->do('update acc set bal = bal + 1 where id = 11', { pg_async => PG_ASYNC });
ok(!poll_until(sub { $a->pg_ready }, 0.5), 'A waits for row 11 (B holds it)');
my $dead = eval { $b->do('update acc set bal = bal + 1 where id = 10'); 1 };
ok(!$dead, 'B asking for row 10 (A holds it) closes a cycle ...');
is($b->state, '40P01', '... and gets 40P01');
like($b->errstr, qr/deadlock detected/, 'deadlock detected, as PostgreSQL says');
$b->rollback;
ok(finished($a), 'A goes on once B has rolled back');
is($a->pg_result, 1, "... and updates row 11");
$a->commit;
is(bal($c, 10), 1001, 'row 10: A');
is(bal($c, 11), 1001, 'row 11: A only');

# a statement that reads more than its row: the block holds the writer
$a->begin_work;
$a->do('update acc set bal = bal + 1 where id = 20');
is($a->do('update acc set bal = bal + 1 where id = 999'), '0E0', 'an UPDATE of no row ...');
$b->do('update acc set bal = bal + 1 where id = 21', { pg_async => PG_ASYNC });
ok(!poll_until(sub { $b->pg_ready }, 0.5), '... keeps the writer: another row\'s writer waits');
is(bal($a, 20), 1001, 'the block reads its own change');
$a->commit;
ok(finished($b), 'the other writer goes on after the COMMIT');
is($b->pg_result, 1, '... and updates its row');
is(bal($c, 20), 1001, "A's change committed");

# a SELECT in the block also takes the writer
$a->begin_work;
$a->do('update acc set bal = bal + 1 where id = 30');
is(bal($a, 30), 1001, 'a SELECT in the block sees its own UPDATE');
$b->do('update acc set bal = bal + 1 where id = 31', { pg_async => PG_ASYNC });
ok(!poll_until(sub { $b->pg_ready }, 0.5), 'after a read the block holds the writer');
$a->commit;
ok(finished($b), 'until it commits');
$b->pg_result;

# the changelog records commits made in turns
my $before = $node->sqlite_query('select count(*) from _dosql_changelog');
$a->begin_work;
$a->do('update acc set bal = bal + 2 where id = 40');
$a->do('update acc set bal = bal - 2 where id = 41');
$a->commit;
my $after = $node->sqlite_query('select count(*) from _dosql_changelog');
is($after - $before, 2, 'a block of two row updates puts two changes in the changelog');
is($node->sqlite_query("select count(distinct commit_ts) from _dosql_changelog where commit_ts > "
		. "(select max(commit_ts) from _dosql_changelog) - 1"), 1, '... at one commit time');

# a prepared transaction holds its rows, not SQLite's writer
sub watermark
{
	my ($rc, $out) = run_command([ 'psql', '-X', '-At', '-c', 'IDENTIFY_SYSTEM',
		'host=' . $node->host . ' port=' . $node->port . ' user=dosql dbname=dosql replication=database' ]);
	my ($hi, $lo) = $out =~ m{\|([0-9A-F]+)/([0-9A-F]+)\|} or die "IDENTIFY_SYSTEM: $out";
	return ((hex($hi) << 32) | hex($lo)) >> 8;
}
my $d = connect_db();
$d->do('begin');
$d->do('update acc set bal = bal + 100 where id = 60');
$d->do("prepare transaction 'rl2'");
$b->do('update acc set bal = bal + 1 where id = 61', { pg_async => PG_ASYNC });
ok(finished($b), 'while a transaction is prepared, another row is updated ...');
is(eval { $b->pg_result } // $b->state, 1, '... without waiting for it');
my $t61 = $node->sqlite_query('select max(commit_ts) from _dosql_changelog');
is($t61 % 2, 0, 'a commit made meanwhile took an even time');
ok(watermark() < $t61, 'the watermark stays below it while the prepared transaction waits');
$b->do('update acc set bal = bal + 1 where id = 60', { pg_async => PG_ASYNC });
ok(!poll_until(sub { $b->pg_ready }, 0.5), "a writer of the prepared transaction's row waits");
my $h = $t61 - 1; # the router's time: past what PREPARE reported, odd
$c->do("set dosql.commit_ts = $h");
$c->do("commit prepared 'rl2'");
ok(finished($b), '... until COMMIT PREPARED');
is($b->pg_result, 1, '... then it updates the row');
is(bal($c, 60), 1101, 'row 60 has both changes');
is($node->sqlite_query("select group_concat(distinct commit_ts) from _dosql_changelog where gid = 'rl2'"), $h,
	'the prepared transaction committed at the time given, below the commit made meanwhile');
ok(watermark() > $t61, 'then the watermark passes both');
$d->disconnect;

# one prepared transaction with changes at a time: a second PREPARE waits
$d = connect_db();
my $e = connect_db();
$d->do('begin');
$d->do('update acc set bal = bal + 1 where id = 70');
$d->do("prepare transaction 'rl3'");
$e->do('begin');
$e->do('update acc set bal = bal + 1 where id = 71');
$e->do("prepare transaction 'rl4'", { pg_async => PG_ASYNC });
ok(!poll_until(sub { $e->pg_ready }, 0.5), 'a second PREPARE waits while one is prepared');
$c->do("commit prepared 'rl3'");
ok(finished($e), 'and goes on once it is resolved');
$e->pg_result;
$c->do("rollback prepared 'rl4'");
is(bal($c, 70) . ' ' . bal($c, 71), '1001 1000', 'rl3 committed, rl4 rolled back');
$_->disconnect for ($d, $e);

# with the shard's index known (the router sets it), PREPAREs report clocks
# of their own (2 x index modulo 512) and do not wait for each other
sub stored_us
{
	my ($text) = @_;
	my ($y, $mo, $dd, $hh, $mi, $ss, $frac) = $text =~ /^(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+)(?:\.(\d+))?/
		or die "prepared time: $text";
	return timegm($ss, $mi, $hh, $dd, $mo - 1, $y) * 1000000 + substr(($frac // '') . '000000', 0, 6);
}
$d = connect_db();
$e = connect_db();
$_->do('set dosql.shard = 3') for ($d, $e);
$d->do('begin');
$d->do('update acc set bal = bal + 1 where id = 80');
$d->do("prepare transaction 'rl5'");
$e->do('begin');
$e->do('update acc set bal = bal + 1 where id = 81');
$e->do("prepare transaction 'rl6'", { pg_async => PG_ASYNC });
ok(finished($e), 'a second PREPARE does not wait for the first');
ok(defined eval { $e->pg_result }, '... and succeeds');
my @clocks = map { stored_us($_) }
	split /\n/, $node->sqlite_query("select prepared from _dosql_prepared where gid in ('rl5', 'rl6') order by gid");
is(scalar(@clocks), 2, 'both are prepared');
is(join(' ', map { $_ % 512 } @clocks), '6 6', 'the clocks they reported are 2 x 3 modulo 512');
ok($clocks[0] < $clocks[1], '... and rise');
ok(watermark() <= $clocks[0] + 1, 'the watermark stays at most one past the smaller');
$c->do('set dosql.commit_ts = ' . ($clocks[$_] + 1) . "; commit prepared 'rl" . ($_ + 5) . "'") for (1, 0);
is(bal($c, 80) . ' ' . bal($c, 81), '1001 1001', 'both commit');
is($node->sqlite_query("select group_concat(t, ' ') from (select gid, max(commit_ts) as t from _dosql_changelog"
		. " where gid in ('rl5', 'rl6') group by gid order by gid)"), ($clocks[0] + 1) . ' ' . ($clocks[1] + 1),
	'each at the time given');
$_->disconnect for ($d, $e);

# a prepared transaction survives a SIGKILL
$a->begin_work;
$a->do('update acc set bal = bal + 100 where id = 50');
$a->do("prepare transaction 'rl1'");
is(bal($c, 50), 1000, 'prepared: not visible yet');
$b->do('update acc set bal = bal + 1 where id = 51');
my $t51 = $node->sqlite_query('select max(commit_ts) from _dosql_changelog');
$d = connect_db();
$d->do('set dosql.shard = 3');
$d->do('begin');
$d->do('update acc set bal = bal + 7 where id = 53');
$d->do("prepare transaction 'rl7'");
$node->kill9;
$node->start;
$a = connect_db();
ok(watermark() < $t51, 'after the restart the watermark is still below a commit made while it was prepared');
is(($a->selectrow_array("select count(*) from pg_prepared_xacts where gid = 'rl1'"))[0], 1,
	'after SIGKILL the transaction is still prepared');
ok(!eval { $a->do('update acc set bal = 0 where id = 50'); 1 }, 'its row is locked again: it cannot be written ...');
is($a->state, '40001', '... (40001 after the busy timeout)');
is($a->do('update acc set bal = bal + 1 where id = 52'), 1, 'while another row can');
ok(!eval { $a->do('update acc set bal = 0 where id = 53'); 1 }, 'a second prepared transaction holds its row too');
$a->do("commit prepared 'rl7'");
is(bal($a, 53), 1007, 'and commits');
$a->do('set dosql.commit_ts = ' . ($t51 - 1));
$a->do("commit prepared 'rl1'");
is(bal($a, 50), 1100, 'COMMIT PREPARED applies it');
is($node->sqlite_query("select group_concat(distinct commit_ts) from _dosql_changelog where gid = 'rl1'"), $t51 - 1,
	'at the time given, below that commit');

# concurrent transfers with pgbench: the balances add up
my $script = $node->basedir . '/transfer.sql';
open my $fh, '>', $script or die $!;
print $fh "\\set x random(1, 100)\n\\set y random(1, 100)\nBEGIN;\n"
	. "UPDATE acc SET bal = bal - 1 WHERE id = :x;\nUPDATE acc SET bal = bal + 1 WHERE id = :y;\nEND;\n";
close $fh;
my $total = ($a->selectrow_array('select sum(bal) from acc'))[0];
my ($rc, $out, $err) = run_command(
	[ 'pgbench', '-n', '-f', $script, '-c', '8', '-j', '2', '-t', '100', '--max-tries', '1000',
	  '-h', $node->host, '-p', $node->port, '-U', 'dosql', 'dosql' ]);
is($rc, 0, 'pgbench ran 8 clients x 100 transfers') or diag($err);
like($out, qr/number of failed transactions: 0 /, 'none failed (conflicts retried)');
like($out, qr/number of transactions actually processed: 800\b/, 'all 800 processed');
is(($a->selectrow_array('select sum(bal) from acc'))[0], $total, 'the balances add up');

$_->disconnect for ($a, $b, $c);
$node->stop;
is($node->sanitizer_report, '', 'no sanitizer report');
done_testing();
