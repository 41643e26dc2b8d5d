# Sessions of one dosql-shard do not wait for each other: a long query or an
# open writing transaction on one connection leaves other connections' short
# queries running, and a CancelRequest stops a running query with 57014.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN
{
	require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl'));
	DBD::Pg->import(':async');
}
use DoSQL::Test::Utils qw(poll_until);

my $node = DoSQL::Test::ServerNode->new_shard('concurrency', args => [ '--busy-timeout', '2000' ]);
$node->start;
my $dsn = 'dbi:Pg:host=' . $node->host . ';port=' . $node->port . ';dbname=dosql';
sub connect_db { DBI->connect($dsn, 'dosql', '', { RaiseError => 1, PrintError => 0, AutoCommit => 1 }) }

my $long = connect_db();
my $short = connect_db();
$short->do('create table kv (k int primary key, v text)');
$short->do("insert into kv values (1, 'one')");

# a CPU-bound query of two billion rows: minutes on any machine, so it is
# still running after the short queries below whatever their speed
$long->do(q{with recursive r(n) as (select 1 union all select n + 1 from r where n < 2000000000)
	select count(*) from r}, { pg_async => PG_ASYNC });
my $answered = 0;
for my $i (1 .. 20) {
	my ($v) = $short->selectrow_array('select v from kv where k = 1');
	$answered++ if defined $v && $v eq 'one';
}
ok(!$long->pg_ready, 'the long query is still running ...');
is($answered, 20, '... while another session ran 20 short queries');

# cancel it
ok($long->pg_cancel, 'CancelRequest sent');
is($long->state, '57014', 'with SQLSTATE 57014');
is(($long->selectrow_array('select 42'))[0], 42, 'the canceled session still works');

# pg_sleep is canceled too
$long->do('select pg_sleep(30)', { pg_async => PG_ASYNC });
ok(!$long->pg_ready, 'pg_sleep(30) is running');
ok($long->pg_cancel, 'cancel pg_sleep');
is($long->state, '57014', 'pg_sleep canceled with 57014');

# an open writing transaction does not block readers (WAL)
my $writer = connect_db();
$writer->begin_work;
$writer->do("update kv set v = 'uno' where k = 1");
my ($seen) = $short->selectrow_array('select v from kv where k = 1');
is($seen, 'one', 'a reader sees the committed value while a writer holds its transaction open');
$writer->commit;
($seen) = $short->selectrow_array('select v from kv where k = 1');
is($seen, 'uno', 'and the new value once it commits');

# a second writer waits for the first, then proceeds (busy timeout)
$writer->begin_work;
$writer->do("update kv set v = 'w1' where k = 1");
my $w2 = connect_db();
$w2->do("update kv set v = 'w2' where k = 1", { pg_async => PG_ASYNC });
ok(!$w2->pg_ready, 'a second writer waits for the lock');
$writer->commit;
ok(poll_until(sub { $w2->pg_ready }), 'and proceeds once the first commits');
$w2->pg_result;
($seen) = $short->selectrow_array('select v from kv where k = 1');
is($seen, 'w2', 'the second write applied after the first');

# a writer that waits longer than --busy-timeout gives up with 40001, and the
# transaction that held the lock is unaffected
$writer->begin_work;
$writer->do("update kv set v = 'held' where k = 1");
$w2->do("update kv set v = 'late' where k = 1", { pg_async => PG_ASYNC });
ok(poll_until(sub { $w2->pg_ready }), 'the waiting writer returns once the busy timeout passes');
my $res = eval { $w2->pg_result; 1 };
ok(!$res, 'its UPDATE failed');
is($w2->state, '40001', 'with 40001, which clients retry');
$writer->commit;
($seen) = $short->selectrow_array('select v from kv where k = 1');
is($seen, 'held', 'the lock holder committed its write');

# statement_timeout ends a long statement with 57014, and is shown as PostgreSQL shows it
$long->do("set statement_timeout = '1s'");
is(($long->selectrow_array('show statement_timeout'))[0], '1s', 'statement_timeout shown in its largest unit');
$long->do('set statement_timeout = 150');
my $ok = eval { $long->do('select pg_sleep(30)'); 1 };
ok(!$ok, 'pg_sleep past the statement timeout fails');
is($long->state, '57014', 'with 57014');
like($long->errstr, qr/canceling statement due to statement timeout/, 'because of the statement timeout');
$ok = eval { $long->do(q{with recursive r(n) as (select 1 union all select n + 1 from r where n < 200000000)
	select count(*) from r}); 1 };
ok(!$ok && $long->state eq '57014', 'a long-running query is stopped by statement_timeout too');
$long->do('set statement_timeout = 0');
is(($long->selectrow_array('select 1'))[0], 1, 'and the session goes on');
$ok = eval { $long->do("set statement_timeout = 'soon'"); 1 };
ok(!$ok && $long->state eq '22023', 'an invalid statement_timeout is refused with 22023');

$_->disconnect for ($long, $short, $writer, $w2);
done_testing();
