# The router's extended protocol (Parse/Bind/Execute) for the routes that
# need more than one statement sent to one set of shards: a multi-row INSERT
# whose rows go to several shards (each shard gets its rows and only the
# parameters they use, text or binary, atomically), an UPDATE of the vindex
# column that moves rows between shards, EXPLAIN over several shards, and
# COPY FROM STDIN / TO STDOUT sent with Execute (message for message as
# PostgreSQL 15 answers them).  Rows are checked where they land: each shard
# is asked directly, and a table filled through the simple protocol says
# which shard each key belongs to.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IO::Socket::UNIX;
use DoSQL::Test::Cluster;
use DoSQL::Test::Oracle;
use DoSQL::Test::Wire qw(send_bytes read_reply types messages_of data_row parse_msg bind_msg describe_msg
  execute_msg sync_msg msg first_error startup_packet);

use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }
require_dependency(DoSQL::Test::Oracle::unavailable());

my $c = DoSQL::Test::Cluster->new('ext',
	shards => 4,
	tables => {
		items => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		ctl => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
	});
$c->start;
my $router = $c->router;
my @shards = $c->shards;
$router->safe_psql('create table items (id int primary key, grp int, name text)');
$router->safe_psql('create table ctl (id int primary key)');
# where each key belongs: the simple protocol places the rows of ctl
$router->safe_psql('insert into ctl (id) values ' . join(', ', map { "($_)" } 1 .. 300));
my %home;
for my $i (0 .. $#shards)
{
	$home{$_} = $i for split /\n/, $shards[$i]->safe_psql('select id from ctl');
}
is(scalar(keys %home), 300, 'the control table places every key once');

# "ids on shard 0 | ids on shard 1 | ..." of a query, as each shard answers it
sub placement
{
	my ($sql) = @_;
	return join(' | ', map { join(',', sort { $a <=> $b } split /\n/, $_->safe_psql($sql)) } @shards);
}
# the same for a set of keys, by where ctl says they belong
sub expected
{
	my @ids = @_;
	return join(' | ', map { my $i = $_; join(',', sort { $a <=> $b } grep { $home{$_} == $i } @ids) } 0 .. $#shards);
}

my $dbh = DBI->connect('dbi:Pg:host=127.0.0.1;port=' . $router->port . ';dbname=dosql', 'dosql', '',
	{ RaiseError => 0, PrintError => 0, AutoCommit => 1, pg_server_prepare => 1 });
ok($dbh, 'DBD::Pg connects with server-side prepare') or BAIL_OUT($DBI::errstr);

# ---------------------------------------------------------------- split INSERT
# the commit decisions of two-phase commit, from the router's coordinator
# log: the shard indices of each, in order
sub decisions
{
	open(my $f, '<', $c->basedir . '/coordinator.log') or return ();
	return map { /^C \S+ (\S+)/ ? join(',', sort { $a <=> $b } split /,/, $1) : () } <$f>;
}
# the shard indices of a set of keys, as the coordinator log writes them
sub shard_list
{
	my %s = map { $home{$_} => 1 } @_;
	return join(',', sort { $a <=> $b } keys %s);
}

my @ids = (1 .. 8);
my $ndecisions = scalar(decisions());
my $sth = $dbh->prepare('insert into items (id, grp, name) values ' . join(', ', map { '(?, ?, ?)' } @ids));
is($sth->execute(map { ($_, $_ % 3, "n$_") } @ids), 8, 'a prepared INSERT of 8 rows for several shards: 8 rows')
  or diag($dbh->errstr);
cmp_ok(scalar(grep { $_ ne '' } split / \| /, expected(@ids)), '>', 1, 'the rows belong to several shards');
is(placement('select id from items'), expected(@ids), 'each shard holds exactly the rows whose key is its');
my @d = decisions();
is(scalar(@d), $ndecisions + 1, '... committed with two-phase commit (one decision logged)');
like($d[-1], qr/^\Q${\ shard_list(@ids)}\E$/, '... over the shards of its rows');
is(join(';', map { join(',', @$_) } @{ $dbh->selectall_arrayref('select id, grp, name from items order by id') }),
	join(';', map { "$_," . ($_ % 3) . ",n$_" } @ids), 'each row with its own values');
# again with other keys: the same statement, other shards
is($sth->execute(map { ($_, 7, "m$_") } 11 .. 18), 8, 'the same prepared INSERT with other keys')
  or diag($dbh->errstr);
is(placement('select id from items where grp = 7'), expected(11 .. 18), '... placed by those keys');

# a parameter shared by rows of several shards, and one in ON CONFLICT
my $upsert = 'insert into items (id, grp, name) values (?, ?, ?), (?, ?, ?), (?, ?, ?) '
  . 'on conflict (id) do update set name = ?';
my ($a1, $a2, $a3) = (1, 2, 21);    # two existing rows
is($dbh->do($upsert, undef, $a1, 5, 'x', $a2, 5, 'x', $a3, 5, 'new', 'upd'), 3, 'INSERT ... ON CONFLICT over several shards')
  or diag($dbh->errstr);
is(join(',', map { ($dbh->selectrow_array('select name from items where id = ?', undef, $_))[0] } $a1, $a2, $a3),
	'upd,upd,new', '... with the parameter of ON CONFLICT on every shard');
is(placement('select id from items'), expected(@ids, 11 .. 18, 21), '... rows where they belong');

# atomic: a row that fails on one shard leaves no row on any
my @batch = (31 .. 38, 2);    # 2 exists
my $ok = $dbh->do('insert into items (id, grp, name) values ' . join(', ', map { '(?, 9, ?)' } @batch), undef,
	map { ($_, "b$_") } @batch);
ok(!$ok && $dbh->state eq '23505', 'a split INSERT with a duplicate key fails with 23505');
is(placement('select id from items where grp = 9'), ' |  |  | ', '... and no shard kept any of its rows');
# in a transaction block, rolled back
$dbh->begin_work;
is($dbh->do('insert into items (id, grp, name) values (?, 9, ?), (?, 9, ?), (?, 9, ?)', undef, 41, 'a', 42, 'b', 43, 'c'),
	3, 'a split INSERT in a transaction block');
is(($dbh->selectrow_array('select count(*) from items where grp = ?', undef, 9))[0], 3, '... seen in the transaction');
$dbh->rollback;
is(placement('select id from items where grp = 9'), ' |  |  | ', '... rolled back on every shard');

# binary parameters on the raw wire: int4 in binary, text in text, one shared
my $w = DoSQL::Test::Wire::session($router);
send_bytes($w, parse_msg('bin', 'insert into items (id, grp, name) values ($1, $2, $3), ($4, $2, $5), ($6, $2, $7)', 23, 23, 25, 23, 25, 23, 25)
	  . bind_msg('', 'bin', [ 1, 1, 0, 1, 0, 1, 0 ], [ pack('N', 51), pack('N', 4), 'w51', pack('N', 52), 'w52', pack('N', 53), 'w53' ], [])
	  . execute_msg('', 0) . sync_msg());
my $r = read_reply($w, until => 'Z');
is(types($r), '12CZ', 'a split INSERT with binary parameters') or diag(explain(first_error($r)));
is((messages_of($r, 'C'))[0][1], "INSERT 0 3\0", '... INSERT 0 3');
is(placement('select id from items where grp = 4'), expected(51, 52, 53), '... each row on its shard');
is(join(',', map { ($dbh->selectrow_array('select name from items where id = ?', undef, $_))[0] } 51 .. 53), 'w51,w52,w53',
	'... with its values');

# constants beside parameters (a shard's rows may use none), a NULL parameter
my ($lit) = grep { $home{$_} != $home{54} && $home{$_} != $home{55} } 58 .. 99;
is($dbh->do("insert into items (id, grp, name) values ($lit, 3, 'lit'), (?, 3, ?), (?, 3, ?)", undef, 54, undef, 55, 'p55'), 3,
	'a split INSERT of constant and parameter rows, one parameter NULL') or diag($dbh->errstr);
is(placement('select id from items where grp = 3'), expected($lit, 54, 55), '... each row on its shard');
is(join(',', map { ($dbh->selectrow_array('select coalesce(name, \'NULL\') from items where id = ?', undef, $_))[0] } $lit, 54, 55),
	'lit,NULL,p55', '... with its values');

# ---------------------------------------------------------------- UPDATE moving rows
my ($from, $to) = (3, 5);
($to) = grep { $home{$_} != $home{$from} && !$dbh->selectrow_array('select 1 from items where id = ?', undef, $_) } 100 .. 300;
is($dbh->do('update items set id = ? where id = ?', undef, $to, $from), 1, "a prepared UPDATE moving row $from to key $to")
  or diag($dbh->errstr);
is(placement("select id from items where id in ($from, $to)"), expected($to), '... it left its shard for the new key\'s');
like((decisions())[-1], qr/^\Q${\ shard_list($from, $to)}\E$/, '... committed with two-phase commit over both shards');
is(($dbh->selectrow_array('select name from items where id = ?', undef, $to))[0], 'n3', '... with its other columns');
# several rows, several shards, the new key an expression of a parameter
my $before = placement('select id from items where grp = 7');
is($dbh->do('update items set id = id + ? where grp = ?', undef, 200, 7), 8, 'an UPDATE moving 8 rows by a parameter')
  or diag($dbh->errstr);
is(placement('select id from items where grp = 7'), expected(211 .. 218), '... every row on its new key\'s shard');
# a move that fails on its target leaves everything where it was
my $dup = 211;
my ($other) = grep { $home{$_} != $home{$dup} } 51 .. 53;
$ok = $dbh->do('update items set id = ? where id = ?', undef, $dup, $other);
ok(!$ok && $dbh->state eq '23505', 'a move onto an existing key fails with 23505');
is(placement("select id from items where id in ($dup, $other)"), expected($dup, $other), '... and both rows stay');
# binary parameters
send_bytes($w, parse_msg('mv', 'update items set id = $1 where id = $2', 23, 23)
	  . bind_msg('', 'mv', [ 1, 1 ], [ pack('N', 253), pack('N', $other) ], []) . execute_msg('', 0) . sync_msg());
$r = read_reply($w, until => 'Z');
is(types($r), '12CZ', 'a move with binary parameters') or diag(explain(first_error($r)));
is((messages_of($r, 'C'))[0][1], "UPDATE 1\0", '... UPDATE 1');
is(placement("select id from items where id in ($other, 253)"), expected(253), '... the row moved');

# ---------------------------------------------------------------- EXPLAIN
# (DBD::Pg sends EXPLAIN as a simple query: Parse/Bind/Execute on the wire)
sub ext_lines
{
	my ($sql, @params) = @_;
	send_bytes($w, parse_msg('', $sql) . bind_msg('', '', [], \@params, []) . execute_msg('', 0) . sync_msg());
	my $r = read_reply($w, until => 'Z');
	return types($r) =~ /^12D+CZ$/ ? join("\n", map { (data_row($_->[1]))[0] } messages_of($r, 'D')) : types($r);
}
my $plan_simple = $router->safe_psql('explain select * from items where grp = 4');
my $plan_ext = ext_lines('explain select * from items where grp = $1', 4);
like($plan_ext, qr/^Route Scatter every shard \(4\)\nShard "/, 'EXPLAIN over several shards by Execute');
is(scalar(() = $plan_ext =~ /^Shard "/mg), 4, '... a plan per shard');
is($plan_ext, $plan_simple, '... the same lines as the simple protocol');
like(ext_lines('explain select * from items where grp = $1 order by name limit 2', 4),
	qr/^Limit 2\n-> MergeSort on 1 key of "items", in order as they come\n  -> Route Scatter every shard \(4\): SELECT .* LIMIT 2\n/,
	'EXPLAIN of a statement with a final step by Execute');
# a row limit: the router's lines and the shards' are rows of the portal
send_bytes($w, parse_msg('ex', 'explain select * from items where grp = $1', 23)
	  . bind_msg('exp', 'ex', [], ['4'], []) . execute_msg('exp', 3) . execute_msg('exp', 0) . sync_msg());
$r = read_reply($w, until => 'Z');
like(types($r), qr/^12DDDsD+CZ$/, 'EXPLAIN with a row limit: 3 rows, PortalSuspended, the rest');
is(join("\n", map { (data_row($_->[1]))[0] } messages_of($r, 'D')), $plan_simple, '... the same lines');
is((messages_of($r, 'C'))[0][1], "EXPLAIN\0", '... tagged EXPLAIN');
# one shard, as in the simple protocol
is(ext_lines('explain select * from items where id = $1', 4), $router->safe_psql('explain select * from items where id = 4'),
	'EXPLAIN of a keyed statement by Execute: the simple protocol\'s lines');
# EXPLAIN of an UPDATE that would move a row explains and moves nothing
my $where4 = placement('select id from items where id in (4, 304)');
like(ext_lines('explain update items set id = $1 where id = $2', 304, 4), qr/^Move Equal shard [-0-9a-f]+ by vindex hash \(id\), rows of "items" whose "id" changes shard move: UPDATE items SET id = \$1 WHERE id = \$2 RETURNING \*\nShard "/,
	'EXPLAIN of a vindex-column UPDATE by Execute');
is(placement('select id from items where id in (4, 304)'), $where4, '... moves nothing');

# ---------------------------------------------------------------- COPY
# what PostgreSQL answers, message for message, is the reference
my $oracle = DoSQL::Test::Oracle->start;
my $o = IO::Socket::UNIX->new(Peer => $oracle->socket_path) or die "oracle socket: $!";
send_bytes($o, startup_packet(user => 'postgres', database => 'postgres'));
read_reply($o, until => 'Z');
send_bytes($o, msg('Q', "create table items (id int primary key, grp int, name text)\0"));
read_reply($o, until => 'Z');

# COPY FROM STDIN sent with Parse/Bind/Execute, Sync right behind; the data
# after CopyInResponse, then CopyDone and a Sync
sub copy_in_ext
{
	my ($s, $sql, $data, $end) = @_;
	send_bytes($s, parse_msg('', $sql) . bind_msg('', '', [], [], []) . execute_msg('', 0) . sync_msg());
	my $r1 = read_reply($s, until => 3);
	send_bytes($s, msg('d', $data) . ($end // msg('c')) . sync_msg());
	my $r2 = read_reply($s, until => 'Z');
	return (types($r1) . '|' . types($r2), $r2);
}

my @rows = map { "$_\t6\tc$_\n" } 61 .. 72;
my ($seq, $rep) = copy_in_ext($w, 'copy items (id, grp, name) from stdin', join('', @rows));
is($seq, '12G|CZ', 'COPY FROM STDIN by Execute: CopyInResponse, then CommandComplete and one ReadyForQuery')
  or diag(explain(first_error($rep)));
is((messages_of($rep, 'C'))[0][1], "COPY 12\0", '... COPY 12');
is(placement('select id from items where grp = 6'), expected(61 .. 72), '... each row on its key\'s shard');
like((decisions())[-1], qr/^\Q${\ shard_list(61 .. 72)}\E$/, '... committed at Sync with two-phase commit');
{
	my ($oseq) = copy_in_ext($o, 'copy items (id, grp, name) from stdin', join('', @rows));
	is($seq, $oseq, 'PostgreSQL answers the same messages');
}
# CopyFail: an error, nothing kept, the session goes on after Sync
($seq, $rep) = copy_in_ext($w, 'copy items (id, grp, name) from stdin', "81\t8\tx\n82\t8\ty\n", msg('f', "stop\0"));
is($seq, '12G|EZ', 'CopyFail after Execute: ErrorResponse, ReadyForQuery');
is(first_error($rep)->{C}, '57014', '... 57014');
is(placement('select id from items where grp = 8'), ' |  |  | ', '... no row kept');
{
	my ($oseq) = copy_in_ext($o, 'copy items (id, grp, name) from stdin', "81\t8\tx\n", msg('f', "stop\0"));
	is($seq, $oseq, 'PostgreSQL answers the same messages');
}
# a bad row on one shard: no row on any
($seq, $rep) = copy_in_ext($w, 'copy items (id, grp, name) from stdin', "83\t8\tx\n84\t8\ty\n85\tnot a number\tz\n");
is($seq, '12G|EZ', 'COPY by Execute with a bad row: ErrorResponse, ReadyForQuery');
is(first_error($rep)->{C}, '22P02', '... 22P02');
is(placement('select id from items where grp = 8'), ' |  |  | ', '... no row kept on any shard');
is(DoSQL::Test::Wire::query_value($w, 'select count(*) from items where grp = 6'), '12', 'the session goes on');

# COPY TO STDOUT sent with Execute
send_bytes($w, parse_msg('', 'copy (select id, name from items where grp = 6) to stdout') . bind_msg('', '', [], [], [])
	  . execute_msg('', 0) . sync_msg());
$r = read_reply($w, until => 'Z');
my $t = types($r);
$t =~ s/d+/d/;
is($t, '12HdcCZ', 'COPY TO STDOUT by Execute: CopyOutResponse, CopyData, CopyDone, CommandComplete');
is(join('', sort map { $_->[1] } messages_of($r, 'd')), join('', sort map { "$_\tc$_\n" } 61 .. 72), '... every shard\'s rows');
is((messages_of($r, 'C'))[0][1], "COPY 12\0", '... COPY 12');
{
	send_bytes($o, parse_msg('', 'copy (select id, name from items where grp = 6) to stdout')
		  . bind_msg('', '', [], [], []) . execute_msg('', 0) . sync_msg());
	my $or = read_reply($o, until => 'Z');
	my $ot = types($or);
	$ot =~ s/d+/d/;
	is($t, $ot, 'PostgreSQL answers the same messages');
}
close $w;
close $o;
$dbh->disconnect;

done_testing();
