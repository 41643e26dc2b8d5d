# Logical replication through the router, compared with PostgreSQL 15:
# pg_recvlogical creates a test_decoding slot on the router and on a real
# PostgreSQL, the same workload runs on both, and the two streams must say
# the same thing, line for line (rows of one transaction in any order: a
# transaction over several shards lists each shard's rows together).
# Then: a second run (with TRUNCATEs) resumes from the slot with nothing lost or
# repeated, a
# cross-shard transaction is one BEGIN ... COMMIT, an UPDATE that moves a
# row between shards streams as its DELETE and INSERT, and the replication
# commands' errors carry PostgreSQL's SQLSTATEs.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency);
use DoSQL::Test::Oracle;
use DoSQL::Test::Utils qw(run_command);

require_dependency(DoSQL::Test::Oracle::unavailable());

my $oracle = DoSQL::Test::Oracle->start(settings => '-c wal_level=logical -c max_replication_slots=4');
my $c = DoSQL::Test::Cluster->new('cdc',
	shards => 4,
	tables => {
		t => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		nopk => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		ty => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		colors => { type => 'reference' },
	});
$c->start;
my $router = $c->router;
my $recvlogical = DoSQL::Test::ServerNode::pg_program('pg_recvlogical');
my %server = (pg => $oracle, dosql => $router);

# $sql on one system, as one Query message (psql -c)
sub sql
{
	my ($sys, $sql) = @_;
	return $server{$sys}->safe_psql($sql, stdin => '');
}

# Where each system's change stream ends now.
sub end_lsn
{
	my ($sys) = @_;
	my $out = $router->safe_psql('IDENTIFY_SYSTEM', stdin => '', connstr => { replication => 'database' },
		flags => [ '-X', '-A', '-t' ]);
	return (split /\|/, $out)[2];
}

sub recvlogical
{
	my ($sys, @args) = @_;
	return run_command([ $recvlogical, '-d', $server{$sys}->connstr, @args ], timeout => 60);
}

# The stream from the slot up to the current end, as lines.  PostgreSQL's
# comes from pg_logical_slot_get_changes(), which reads exactly that far
# (its walsender sends only what is flushed, and the oracle commits
# asynchronously); the router's from pg_recvlogical.
sub stream
{
	my ($sys, $slot, @opts) = @_;
	if ($sys eq 'pg')
	{
		my $o = join('', map { my ($k, $v) = split /=/; ", '$k', '$v'" } @opts);
		my $out = sql('pg', "select data from pg_logical_slot_get_changes('$slot', NULL, NULL$o)");
		return $out eq '' ? '' : "$out\n";
	}
	my $end = end_lsn($sys);
	my ($rc, $out, $err) = recvlogical($sys, '-S', $slot, '--start', '-E', $end, '-f', '-', '--no-loop',
		map { ('-o', $_) } @opts);
	diag("$sys pg_recvlogical: rc $rc: $err") if $rc != 0;
	return $out;
}

# Transactions as text, the rows inside each sorted.
sub transactions
{
	my ($text) = @_;
	my (@out, @cur);
	for my $l (split /\n/, $text)
	{
		if ($l =~ /^BEGIN/) { @cur = ($l); }
		elsif ($l =~ /^COMMIT/) { push @out, join("\n", $cur[0], sort(@cur[ 1 .. $#cur ]), $l); @cur = (); }
		else { push @cur, $l; }
	}
	return @out;
}

my @schema = (
	'create table t (id int primary key, name text, n numeric(10,2), ts timestamptz, ok bool)',
	'create table nopk (id int, v text)',
	'create table "My Tab" ("Id" int primary key, "select" text)',
	'create table colors (code text primary key, label text)',
	'alter table nopk replica identity full',
	'create table full_t (id int primary key, a text, b int)',
	'alter table full_t replica identity full',
	'create table nothing_t (id int primary key, a text)',
	'alter table nothing_t replica identity nothing',
	'create table ty (id int primary key, i2 smallint, i8 bigint, f4 real, f8 double precision, vc varchar(10),'
	  . ' ch char(3), by bytea, d date, tsn timestamp, js json, jb jsonb, u uuid, ia int[], iv interval, tm time,'
	  . ' ta text[], nu numeric)',
);
for my $sys (qw(pg dosql))
{
	sql($sys, $_) for @schema;
	my ($rc, $out, $err) = recvlogical($sys, '-S', 'rl1', '--create-slot', '-P', 'test_decoding');
	is($rc, 0, "$sys: pg_recvlogical --create-slot") or diag($err);
}

my @workload = (
	q{insert into t (id, name, n, ts, ok) values (1, 'one', 1.50, '2024-01-01 10:00:00+00', true)},
	q{insert into t (id, name, n, ts, ok) values (2, 'it''s', null, null, false), (3, 'three', 3, '2024-02-29 23:59:59.5+00', null), (4, null, -4.25, null, true)},
	q{update t set name = 'uno' where id = 1},
	q{update t set n = n * 2 where id in (2, 3, 4)},
	q{delete from t where id = 4},
	q{begin; insert into t (id, name) values (5, 'five'); update t set name = 'two' where id = 2; delete from t where id = 3; commit},
	q{insert into nopk (id, v) values (1, 'a'), (2, null)},
	q{update nopk set v = 'b' where id = 1},
	q{delete from nopk where id = 2},
	q{insert into "My Tab" ("Id", "select") values (1, 'x y')},
	q{update "My Tab" set "select" = 'z' where "Id" = 1},
	q{update "My Tab" set "Id" = 2 where "Id" = 1},
	q{delete from "My Tab" where "Id" = 2},
	q{insert into colors (code, label) values ('red', 'Red'), ('blue', null)},
	q{update colors set label = 'Blue' where code = 'blue'},
	q{insert into ty (id, i2, i8, f4, f8, vc, ch, by, d, tsn, js, jb, u, ia) values (1, -32768, 9007199254740993, 1.5, 0.1, 'abc', 'ab', '\x0102ff', '2024-02-29', '2024-01-02 03:04:05.123456', '{"a": 1,  "b": [true]}', '{"b": [1, 2], "a": "x"}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,2,3}')},
	q{insert into ty (id, f8, vc) values (2, 1e100, null)},
	q{insert into ty (id, f4, f8, nu, iv, tm, ta) values (4, 'NaN', '-Infinity', 'NaN', '1 day 02:03:04', '23:59:59.25', '{"a b",c,NULL}')},
	q{insert into ty (id, nu, iv) values (5, 123456789.0001, '-3 mons 1.5 secs')},
	q{insert into ty (id) values (3)},
	q{insert into full_t (id, a, b) values (1, 'x', null)},
	q{update full_t set b = 2 where id = 1},
	q{update full_t set a = null, id = 5 where id = 1},
	q{delete from full_t where id = 5},
	q{insert into nothing_t (id, a) values (1, 'x')},
	q{update nothing_t set a = 'y'},
	q{delete from nothing_t},
);
for my $sys (qw(pg dosql)) { sql($sys, $_) for @workload; }

my %out;
$out{$_} = stream($_, 'rl1', 'include-xids=0', 'skip-empty-xacts=1') for qw(pg dosql);
my @pg = transactions($out{pg});
my @ds = transactions($out{dosql});
is(scalar(@pg), scalar(@workload), 'PostgreSQL streamed one transaction per statement');
is_deeply(\@ds, \@pg, 'the router streams what PostgreSQL streams, transaction for transaction')
  or diag("dosql:\n$out{dosql}\npostgres:\n$out{pg}");
my ($cross) = grep { /id\[integer\]:2 / && /id\[integer\]:3 / && /id\[integer\]:4 / && /INSERT/ } @ds;
ok($cross, 'the INSERT of rows on several shards is one transaction');

# the slot remembers what was consumed: the next run has only what is new
my @more = (
	q{insert into t (id, name) values (10, 'ten'), (11, 'eleven'), (12, 'twelve'), (13, 'thirteen')},
	q{delete from t where id in (10, 11, 12, 13)},
	q{truncate colors},
	q{truncate ty},
);
for my $sys (qw(pg dosql)) { sql($sys, $_) for @more; }
$out{$_} = stream($_, 'rl1', 'include-xids=0', 'skip-empty-xacts=1') for qw(pg dosql);
is_deeply([ transactions($out{dosql}) ], [ transactions($out{pg}) ],
	'a second run resumes at the confirmed position: nothing lost, nothing repeated')
  or diag("dosql:\n$out{dosql}\npostgres:\n$out{pg}");
is(scalar(transactions($out{dosql})), 4, 'four transactions in the second run');
like($out{dosql}, qr/^table public\.colors: TRUNCATE: \(no-flags\)\n.*^table public\.ty: TRUNCATE: \(no-flags\)$/ms,
	'TRUNCATE of a reference and of a sharded table, each once');

# include-xids and include-timestamp: the formats PostgreSQL prints
sql('dosql', q{insert into t (id, name) values (20, 'x')});
my $text = stream('dosql', 'rl1', 'include-timestamp=1');
like($text, qr/\ABEGIN \d+\ntable public\.t: INSERT: id\[integer\]:20 name\[text\]:'x' n\[numeric\]:null ts\[timestamp with time zone\]:null ok\[boolean\]:null\nCOMMIT \d+ \(at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00\)\n\z/,
	'BEGIN xid ... COMMIT xid (at timestamp)');
my ($b, $e) = $text =~ /^BEGIN (\d+).*^COMMIT (\d+)/ms;
is($b, $e, 'BEGIN and COMMIT carry the same xid');

# an UPDATE of the vindex column: the row leaves one shard and arrives on another, in one transaction
sql('dosql', q{update t set id = 100 where id = 5});
$text = stream('dosql', 'rl1', 'include-xids=0');
is(join('|', transactions($text)), "BEGIN\ntable public.t: DELETE: id[integer]:5\n"
	. "table public.t: INSERT: id[integer]:100 name[text]:'five' n[numeric]:null ts[timestamp with time zone]:null ok[boolean]:null\nCOMMIT",
	'a row moved by its vindex column streams as its DELETE and INSERT in one transaction')
  or diag($text);

# errors, as PostgreSQL reports them
my ($rc, $o, $err) = recvlogical('dosql', '-S', 'rl1', '--create-slot', '-P', 'test_decoding');
like($err, qr/replication slot "rl1" already exists/, 'creating an existing slot fails');
($rc, $o, $err) = recvlogical('dosql', '-S', 'rl1', '--create-slot', '--if-not-exists', '-P', 'test_decoding');
is($rc, 0, '--if-not-exists accepts the existing slot') or diag($err);
($rc, $o, $err) = recvlogical('dosql', '-S', 'nosuch', '--start', '-f', '-', '--no-loop');
like($err, qr/replication slot "nosuch" does not exist/, 'starting a missing slot fails');
($rc, $o, $err) = recvlogical('dosql', '-S', 'rl1', '--start', '-f', '-', '--no-loop', '-o', 'bogus=1');
like($err, qr/option "bogus" = "1" is unknown/, 'an unknown plugin option fails before streaming');
($rc, $o, $err) = recvlogical('dosql', '-S', 'Bad-Name', '--create-slot', '-P', 'test_decoding');
like($err, qr/replication slot name "Bad-Name" contains invalid character/, 'slot names are checked');
($rc, $o, $err) = recvlogical('dosql', '-S', 'rl9', '--create-slot', '-P', 'nosuch_plugin');
like($err, qr/could not access file "nosuch_plugin"/, 'an unknown plugin fails');
my $psql = DoSQL::Test::ServerNode::pg_program('psql');
my $repl = $router->connstr(replication => 'database');
($rc, $o, $err) = run_command([ $psql, '-X', '-A', '-t', '-v', 'VERBOSITY=verbose', '-d', $repl, '-c', 'START_REPLICATION SLOT rl1 LOGICAL 0/0 (' ]);
like($err, qr/42601.*syntax error at end of input/, 'a malformed replication command is 42601');
($rc, $o, $err) = run_command([ $psql, '-X', '-A', '-t', '-d', $repl, '-c',
		'CREATE_REPLICATION_SLOT "old1"  LOGICAL test_decoding NOEXPORT_SNAPSHOT' ]);
like($o, qr{^old1\|[0-9A-F]+/[0-9A-F]+\|\|test_decoding$}, 'the old CREATE_REPLICATION_SLOT syntax (PostgreSQL 14 clients)')
  or diag($err);
($rc, $o, $err) = run_command([ $psql, '-X', '-A', '-t', '-d', $repl, '-c', 'DROP_REPLICATION_SLOT old1 WAIT' ]);
is($rc, 0, 'DROP_REPLICATION_SLOT ... WAIT of a slot nobody streams') or diag($err);
($rc, $o, $err) = run_command([ $psql, '-X', '-A', '-t', '-d', $repl, '-c', 'SHOW data_directory_mode' ]);
is($o, "0700\n", 'SHOW data_directory_mode on a replication connection');
($rc, $o, $err) = run_command([ $psql, '-X', '-A', '-t', '-d', $repl, '-c', 'select 1 + 1' ]);
is($o, "2\n", 'SQL works on a replication connection');

# drop: the slot is gone from every shard
($rc, $o, $err) = recvlogical('dosql', '-S', 'rl1', '--drop-slot');
is($rc, 0, 'pg_recvlogical --drop-slot') or diag($err);
($rc, $o, $err) = recvlogical('dosql', '-S', 'rl1', '--drop-slot');
like($err, qr/replication slot "rl1" does not exist/, 'dropping it again fails');

$c->stop;
for my $node ($c->router, $c->shards)
{
	is($node->sanitizer_report, '', $node->name . ': no sanitizer reports');
}
$oracle->stop;
done_testing();
