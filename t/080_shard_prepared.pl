# PREPARE TRANSACTION, COMMIT PREPARED and ROLLBACK PREPARED on one
# dosql-shard: PostgreSQL's tags and errors, a prepared transaction
# invisible and holding off writers until it is resolved, listed in
# pg_prepared_xacts, and surviving SIGKILL of the shard at every point of
# its life (crash points of the test build, DOSQL_FAULT).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::ServerNode;

my $shard = DoSQL::Test::ServerNode->new_shard('shard2pc', args => [ '--busy-timeout', '300' ]);
$shard->start;

sub sq { return $shard->safe_psql($_[0]); }
# the rows of a query, one per line in psql's output, joined with commas
sub rows { return join(',', split(/\n/, sq($_[0]))); }

sub psql_err
{
	my ($sql) = @_;
	my ($rc, $out, $err) = $shard->psql($sql, flags => [ '-X', '-A', '-t', '-v', 'VERBOSITY=verbose' ]);
	return ($out, $err);
}

sq('create table acc (id int primary key, bal int not null, note text)');
sq('create table hist (id int, delta int, at float8)');
sq(q{insert into acc values (1, 100, 'one'), (2, 100, 'two'), (3, 100, NULL)});

# a transaction prepared, invisible, listed, then committed
my ($out, $err) = psql_err(q{begin; update acc set bal = bal - 30 where id = 1; update acc set bal = bal + 30 where id = 2;
insert into hist values (1, -30, 1.25), (2, 30, NULL); savepoint a; delete from acc where id = 3; rollback to a;
insert into acc values (4, 0, 'it''s'); prepare transaction 'tx1'});
is($out, "BEGIN\nUPDATE 1\nUPDATE 1\nINSERT 0 2\nSAVEPOINT\nDELETE 1\nROLLBACK\nINSERT 0 1\nPREPARE TRANSACTION",
	'PREPARE TRANSACTION answers with its tag') or diag($err);
is(sq('select gid, owner, database from pg_prepared_xacts'), 'tx1|dosql|dosql', 'pg_prepared_xacts lists it');
is(rows(q{select id || ':' || bal from acc order by id}), '1:100,2:100,3:100',
	'its changes are not visible while prepared');
is(sq('select count(*) from hist'), '0', 'nor its inserts');

# a writer is held off (and gets 40001 after its busy timeout); readers go on
($out, $err) = psql_err('update acc set bal = 0 where id = 3');
like($err, qr/ERROR:  40001/, 'a writer while a transaction is prepared gets 40001');
is(sq('select bal from acc where id = 3'), '100', 'readers are not blocked');

is(sq(q{commit prepared 'tx1'}), '', 'COMMIT PREPARED');
is(rows(q{select id || ':' || bal from acc order by id}), '1:70,2:130,3:100,4:0',
	'the committed changes are all there, the rolled-back savepoint is not');
is(rows(q{select id || ':' || delta || ':' || coalesce(at::text, 'null') from hist order by id}),
	'1:-30:1.25,2:30:null', 'inserted rows keep their values, NULLs included');
is(sq(q{select note from acc where id = 4}), q{it's}, 'text values survive');
is(sq('select count(*) from pg_prepared_xacts'), '0', 'nothing left prepared');
is(sq('update acc set bal = bal where id = 3'), '', 'writers run again');

# ROLLBACK PREPARED
sq(q{begin; delete from acc; prepare transaction 'tx2'});
is(sq(q{rollback prepared 'tx2'}), '', 'ROLLBACK PREPARED');
is(sq('select count(*) from acc'), '4', 'a rolled-back prepared transaction leaves nothing');

# PostgreSQL's tags and errors
($out, $err) = psql_err(q{prepare transaction 'x'});
is($out, 'ROLLBACK', 'PREPARE outside a transaction block: tag ROLLBACK');
like($err, qr/WARNING:  25P01: there is no transaction in progress/, '... with the 25P01 warning');
($out, $err) = psql_err(q{begin; select 1/0; prepare transaction 'x'});
like($out, qr/ROLLBACK$/, 'PREPARE of a failed transaction rolls back');
sq(q{begin; prepare transaction 'dup'});
($out, $err) = psql_err(q{begin; insert into hist values (9, 9, 9); prepare transaction 'dup'});
like($err, qr/ERROR:  42710: transaction identifier "dup" is already in use/, 'a gid in use: 42710');
is(sq('select count(*) from hist where id = 9'), '0', '... and the transaction is rolled back');
($out, $err) = psql_err(q{commit prepared 'nope'});
like($err, qr/ERROR:  42704: prepared transaction with identifier "nope" does not exist/, 'unknown gid: 42704');
($out, $err) = psql_err(q{begin; commit prepared 'dup'});
like($err, qr/ERROR:  25001: COMMIT PREPARED cannot run inside a transaction block/, 'COMMIT PREPARED in a block: 25001');
($out, $err) = psql_err(q{begin; rollback prepared 'dup'});
like($err, qr/ERROR:  25001: ROLLBACK PREPARED cannot run inside a transaction block/, 'ROLLBACK PREPARED too');
($out, $err) = psql_err("begin; prepare transaction '" . ('g' x 200) . "'");
like($err, qr/ERROR:  22023: transaction identifier "g+" is too long/, 'a gid of 200 bytes: 22023');
is(sq(q{rollback prepared 'dup'}), '', 'an empty prepared transaction resolves');

# SIGKILL while prepared: still prepared after restart, then resolvable
sq(q{begin; update acc set bal = bal + 1; insert into hist values (5, 1, 5.5); prepare transaction 'survivor'});
$shard->kill9;
$shard->start;
is(sq('select gid from pg_prepared_xacts'), 'survivor', 'a prepared transaction survives SIGKILL');
is(sq('select sum(bal) from acc'), '300', 'its changes are still invisible after the restart');
($out, $err) = psql_err('insert into hist values (6, 6, 6)');
like($err, qr/ERROR:  40001/, 'and it still holds off writers');
is(sq(q{commit prepared 'survivor'}), '', 'COMMIT PREPARED after the restart');
is(sq('select sum(bal) || \'/\' || (select count(*) from hist) from acc'), '304/3', 'its changes are applied once');

# crash points of the test build
sub crash_at
{
	my ($point, $sql) = @_;
	$shard->stop;
	$shard->setenv(DOSQL_FAULT => $point);
	$shard->start;
	$shard->psql($sql);
	ok($shard->wait_exit, "the shard died at $point");
	$shard->setenv(DOSQL_FAULT => undef);
	$shard->start;
}

crash_at('shard-prepare-stored', q{begin; update acc set bal = bal - 4 where id = 4; prepare transaction 'p1'});
is(sq('select gid from pg_prepared_xacts'), 'p1', 'killed after storing a PREPARE: prepared after the restart');
is(sq(q{rollback prepared 'p1'}), '', '... and it can be rolled back');
is(sq('select bal from acc where id = 4'), '1', '... leaving nothing');

sq(q{begin; update acc set bal = 0 where id = 4; prepare transaction 'p2'});
crash_at('shard-before-commit-prepared', q{commit prepared 'p2'});
is(sq('select gid from pg_prepared_xacts'), 'p2', 'killed during COMMIT PREPARED: still prepared');
is(sq('select bal from acc where id = 4'), '1', '... and not applied');
is(sq(q{commit prepared 'p2'}), '', '... and it commits after the restart');
is(sq('select bal from acc where id = 4'), '0', '... once');

sq(q{begin; update acc set bal = 7 where id = 4; prepare transaction 'p3'});
crash_at('shard-after-commit-prepared', q{commit prepared 'p3'});
is(sq('select count(*) from pg_prepared_xacts'), '0', 'killed after COMMIT PREPARED committed: resolved');
is(sq('select bal from acc where id = 4'), '7', '... and applied');

# every committed change is in the changelog, atomic with it; a prepared
# transaction's under its gid, once, when it commits
sub changelog { my ($sql) = @_; return $shard->sqlite_query($sql); }
is(changelog(q{select group_concat(tbl || ':' || op, ',') from (select tbl, op from _dosql_changelog where gid = 'tx1' order by seq)}),
	'acc:U,acc:U,hist:I,hist:I,acc:I',
	'a committed prepared transaction is in the changelog under its gid, without what was rolled back to a savepoint');
is(changelog(q{select count(distinct commit_ts) from _dosql_changelog where gid = 'tx1'}), '1', '... with one commit time');
is(changelog(q{select count(*) from _dosql_changelog where gid in ('tx2', 'dup', 'p1')}), '0',
	'rolled-back prepared transactions are not');
is(changelog(q{select count(*) from _dosql_changelog where gid = 'p2'}), '1', 'one committed after a crash is, once');
sq('insert into hist values (77, 7, 7.5)');
is(changelog(q{select coalesce(gid, 'none') || ':' || tbl || ':' || op || ':' || new_key from _dosql_changelog order by seq desc limit 1}),
	'none:hist:I:' . changelog('select max(rowid) from hist'), 'a plain INSERT is recorded without gid, with its rowid');
is(changelog(q{select count(*) from (select commit_ts, lag(commit_ts) over (order by seq) as prev from _dosql_changelog) where commit_ts < prev}),
	'0', 'commit times never go down');
is(changelog(q{select count(*) from _dosql_changelog where tbl like '\_dosql%' escape '\'}), '0', "DoSQL's own tables are not recorded");

$shard->stop;
done_testing();
