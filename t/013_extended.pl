# The extended query protocol on raw sockets, message by message: Parse with
# and without declared types, Describe of statements (ParameterDescription,
# RowDescription or NoData) and portals (result formats from Bind), binary
# parameters and results, Execute row limits with PortalSuspended, named
# statements and portals, Close, pipelined groups before one Sync, the
# skip-until-Sync rule after an error, and exact ReadyForQuery states.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Wire;

my $node = DoSQL::Test::ServerNode->new_shard('extended');
$node->start;
$node->safe_psql(q{create table acc (id int primary key, name text, bal numeric(10,2), f float8, ok boolean);
	insert into acc select 1, 'one', 1.50, 0.5, true;
	insert into acc values (2, 'two', 2.25, 1e10, false), (3, 'three', null, null, null), (4, 'four', 4, -1.5, true)});

my $s = session($node);

# Parse without types: the parameter type is inferred from the column
send_bytes($s, parse_msg('q1', 'select id, name, bal from acc where id = $1') . describe_msg('S', 'q1') . sync_msg());
my $r = read_reply($s, until => 'Z');
is(types($r), '1tTZ', 'Parse + Describe S: ParseComplete, ParameterDescription, RowDescription, ReadyForQuery');
my ($pd) = messages_of($r, 't');
is_deeply([ unpack('nN', $pd->[1]) ], [ 1, 23 ], '$1 compared with an int4 column is int4');
my ($rd) = messages_of($r, 'T');
my $fields = row_description($rd->[1]);
is_deeply([ map { $_->{name} } @$fields ], [qw(id name bal)], 'column names');
is_deeply([ map { $_->{type} } @$fields ], [ 23, 25, 1700 ], 'column type OIDs');
is($fields->[2]{typmod}, (10 << 16 | 2) + 4, 'numeric(10,2) typmod');
ok($fields->[0]{table_oid} > 0 && $fields->[0]{attnum} == 1, 'table OID and attnum of a plain column');
is($fields->[0]{format}, 0, 'Describe S reports text format');

# Bind text parameter, text results; Describe P; Execute
send_bytes($s, bind_msg('', 'q1', [], ['2'], []) . describe_msg('P', '') . execute_msg('', 0) . sync_msg());
$r = read_reply($s, until => 'Z');
is(types($r), '2TDCZ', 'Bind, Describe P, Execute, Sync');
my ($row) = messages_of($r, 'D');
is_deeply([ data_row($row->[1]) ], [ '2', 'two', '2.25' ], 'text results');
my ($cc) = messages_of($r, 'C');
is($cc->[1], "SELECT 1\0", 'CommandComplete SELECT 1');
is(substr((messages_of($r, 'Z'))[0][1], 0, 1), 'I', 'ReadyForQuery I outside a transaction');

# binary parameter, binary results (per-column formats)
send_bytes($s, parse_msg('q2', 'select id, f, ok, name from acc where id = $1', 23)
	  . bind_msg('p2', 'q2', [1], [ pack('N', 1) ], [ 1, 1, 1, 0 ]) . describe_msg('P', 'p2')
	  . execute_msg('p2', 0) . sync_msg());
$r = read_reply($s, until => 'Z');
is(types($r), '12TDCZ', 'binary Bind pipeline');
$fields = row_description((messages_of($r, 'T'))[0][1]);
is_deeply([ map { $_->{format} } @$fields ], [ 1, 1, 1, 0 ], 'Describe P reports the Bind result formats');
my @v = data_row((messages_of($r, 'D'))[0][1]);
is(unpack('N', $v[0]), 1, 'int4 in binary');
is(unpack('d>', $v[1]), 0.5, 'float8 in binary');
is(unpack('C', $v[2]), 1, 'bool in binary');
is($v[3], 'one', 'text column in text format');

# row limits: PortalSuspended, then the rest
send_bytes($s, parse_msg('q3', 'select id from acc order by id') . bind_msg('p3', 'q3', [], [], [])
	  . execute_msg('p3', 2) . sync_msg());
$r = read_reply($s, until => 'Z');
is(types($r), '12DDsZ', 'Execute with max 2 rows: two DataRows then PortalSuspended');
# a portal lives until the end of its transaction: in a block it survives Sync
send_bytes($s, msg('Q', "begin\0"));
read_reply($s, until => 'Z');
send_bytes($s, bind_msg('p4', 'q3', [], [], []) . execute_msg('p4', 3) . sync_msg());
$r = read_reply($s, until => 'Z');
is(types($r), '2DDDsZ', 'first 3 rows');
is(substr((messages_of($r, 'Z'))[0][1], 0, 1), 'T', 'ReadyForQuery T inside a block');
send_bytes($s, execute_msg('p4', 3) . sync_msg());
$r = read_reply($s, until => 'Z');
is(types($r), 'DCZ', 'the rest of the portal, then CommandComplete');
is((messages_of($r, 'C'))[0][1], "SELECT 1\0", 'the tag counts the rows of the last Execute, as PostgreSQL does');
send_bytes($s, execute_msg('p4', 3) . sync_msg());
$r = read_reply($s, until => 'Z');
is(types($r) . (messages_of($r, 'C'))[0][1], "CZSELECT 0\0", 'a finished portal executed again: SELECT 0');
send_bytes($s, msg('Q', "commit\0"));
read_reply($s, until => 'Z');

# DML: NoData from Describe, tags, RETURNING rows
send_bytes($s, parse_msg('u', 'update acc set bal = bal + $1 where id = $2') . describe_msg('S', 'u')
	  . bind_msg('', 'u', [], [ '1.25', '1' ], []) . execute_msg('', 0) . sync_msg());
$r = read_reply($s, until => 'Z');
is(types($r), '1tn2CZ', 'UPDATE: ParameterDescription, NoData');
is_deeply([ unpack('nNN', (messages_of($r, 't'))[0][1]) ], [ 2, 1700, 23 ], 'numeric and int4 parameters inferred');
is((messages_of($r, 'C'))[0][1], "UPDATE 1\0", 'UPDATE 1');
is($node->safe_psql('select bal from acc where id = 1'), '2.75', 'the update applied exactly');
send_bytes($s, parse_msg('', 'insert into acc (id, name) values ($1, $2) returning id, name')
	  . bind_msg('', '', [], [ '5', 'five' ], []) . describe_msg('P', '') . execute_msg('', 0) . sync_msg());
$r = read_reply($s, until => 'Z');
is(types($r), '12TDCZ', 'INSERT ... RETURNING');
is((messages_of($r, 'C'))[0][1], "INSERT 0 1\0", 'INSERT 0 1');

# pipelining: several groups, one Sync; an error skips the rest until Sync
send_bytes($s, parse_msg('', 'select 1') . bind_msg('', '', [], [], []) . execute_msg('', 0)
	  . parse_msg('', 'select 1/0') . bind_msg('', '', [], [], []) . execute_msg('', 0)
	  . parse_msg('', 'select 3') . bind_msg('', '', [], [], []) . execute_msg('', 0) . sync_msg());
$r = read_reply($s, until => 'Z');
is(types($r), '12DC12EZ', 'after an error the rest of the pipeline is skipped until Sync');
is(first_error($r)->{C}, '22012', 'the error is division by zero');
is($s && query_value($s, 'select 42'), '42', 'the session goes on');

# an implicit transaction spans the messages before Sync: an error rolls back the earlier ones
send_bytes($s, parse_msg('', 'insert into acc (id, name) values (10, \'ten\')') . bind_msg('', '', [], [], [])
	  . execute_msg('', 0) . parse_msg('', 'insert into acc (id, name) values (1, \'dup\')')
	  . bind_msg('', '', [], [], []) . execute_msg('', 0) . sync_msg());
$r = read_reply($s, until => 'Z');
is(first_error($r)->{C}, '23505', 'duplicate key in the second statement');
is($node->safe_psql('select count(*) from acc where id = 10'), '0', 'the first insert was rolled back with it');

# errors in a block: E state until ROLLBACK
send_bytes($s, msg('Q', "begin\0"));
read_reply($s, until => 'Z');
send_bytes($s, parse_msg('', 'select nosuch from acc') . bind_msg('', '', [], [], []) . execute_msg('', 0) . sync_msg());
$r = read_reply($s, until => 'Z');
is(first_error($r)->{C}, '42703', 'undefined column');
is(substr((messages_of($r, 'Z'))[0][1], 0, 1), 'E', 'ReadyForQuery E in a failed block');
send_bytes($s, parse_msg('', 'select 1') . bind_msg('', '', [], [], []) . execute_msg('', 0) . sync_msg());
$r = read_reply($s, until => 'Z');
is(first_error($r)->{C}, '25P02', '25P02 while the block is failed');
send_bytes($s, msg('Q', "rollback\0"));
$r = read_reply($s, until => 'Z');
is(substr((messages_of($r, 'Z'))[0][1], 0, 1), 'I', 'ROLLBACK returns to I');

# named statements: reuse, duplicates, Close, unknown names
send_bytes($s, parse_msg('q1', 'select 1') . sync_msg());
$r = read_reply($s, until => 'Z');
is(first_error($r)->{C}, '42P05', 'a second Parse of a named statement fails');
send_bytes($s, close_msg('S', 'q1') . close_msg('S', 'nosuch') . sync_msg());
$r = read_reply($s, until => 'Z');
is(types($r), '33Z', 'Close of a statement (also of an unknown one) answers CloseComplete');
send_bytes($s, bind_msg('', 'q1', [], ['1'], []) . sync_msg());
$r = read_reply($s, until => 'Z');
is(first_error($r)->{C}, '26000', 'a closed statement no longer exists');
send_bytes($s, execute_msg('nosuch', 0) . sync_msg());
$r = read_reply($s, until => 'Z');
is(first_error($r)->{C}, '34000', 'Execute of an unknown portal');

# parameter count mismatch, empty query, Flush
send_bytes($s, parse_msg('', 'select $1::int + $2::int') . bind_msg('', '', [], ['1'], []) . sync_msg());
$r = read_reply($s, until => 'Z');
is(first_error($r)->{C}, '08P01', 'Bind with too few parameters');
send_bytes($s, parse_msg('', '') . bind_msg('', '', [], [], []) . execute_msg('', 0) . sync_msg());
$r = read_reply($s, until => 'Z');
is(types($r), '12IZ', 'an empty query gives EmptyQueryResponse');
send_bytes($s, parse_msg('f', 'select 7') . describe_msg('S', 'f') . flush_msg());
$r = read_reply($s, until => 3);
is(types($r), '1tT', 'Flush sends what is pending without ReadyForQuery');
send_bytes($s, sync_msg());
is(types(read_reply($s, until => 'Z')), 'Z', 'then Sync');

# a syntax error in Parse carries the position
send_bytes($s, parse_msg('', 'select * fro acc') . sync_msg());
$r = read_reply($s, until => 'Z');
is(first_error($r)->{C}, '42601', 'syntax error in Parse');
is(first_error($r)->{P}, '10', 'with its position');

# binary parameters of several types, decoded into typed columns
$node->safe_psql('create table bin (i2 int2, i8 int8, f4 float4, b bytea, t text, u uuid, d date)');
send_bytes($s, parse_msg('', 'insert into bin values ($1, $2, $3, $4, $5, $6, $7)', 21, 20, 700, 17, 25, 2950, 1082)
	  . bind_msg('', '', [1], [ pack('n', 7), pack('q>', -5000000000), pack('f>', 1.5), "\x00\xff", 'héllo',
		pack('H*', '0123456789abcdef0123456789abcdef'), pack('N', 366) ], [])
	  . execute_msg('', 0) . sync_msg());
$r = read_reply($s, until => 'Z');
is(types($r), '12CZ', 'binary parameters of several types') or diag(first_error($r)->{M});
is($node->safe_psql('select i2, i8, f4, b, t, u, d from bin'),
	'7|-5000000000|1.5|\x00ff|héllo|01234567-89ab-cdef-0123-456789abcdef|2001-01-01', 'stored as sent');

# binary date/time parameters past PostgreSQL's range are 22008 and a
# timetz's zone of 16 hours or more 22009, as timestamp_recv, date_recv and
# timetz_recv say (the shard's decoder once overflowed on them); the
# infinities are kept
for my $case ([ 1114, pack('q>', -9223372036854710017), '22008 timestamp out of range' ],
	[ 1184, pack('q>', 9223371331200000000), '22008 timestamp out of range' ],
	[ 1082, pack('l>', -2451546), '22008 date out of range' ],
	[ 1082, pack('l>', 2147483000), '22008 date out of range' ],
	[ 1266, pack('q>l>', 43200000000, 57600), '22009 time zone displacement out of range' ],
	[ 1266, pack('q>l>', 43200000000, -2147483648), '22009 time zone displacement out of range' ],
	[ 1266, pack('q>l>', 86400000001, -2147483648), '22008 time out of range' ])
{
	my ($oid, $bytes, $msg) = @$case;
	send_bytes($s, parse_msg('', 'select $1::text', $oid) . bind_msg('', '', [1], [$bytes], []) . execute_msg('', 0) . sync_msg());
	$r = read_reply($s, until => 'Z');
	is(first_error($r)->{C} . ' ' . first_error($r)->{M}, $msg, "binary $oid parameter past the range: $msg");
}
send_bytes($s, parse_msg('', 'select $1::text', 1266) . bind_msg('', '', [1], [ pack('q>l>', 43200000000, -57599) ], [])
	  . execute_msg('', 0) . sync_msg());
$r = read_reply($s, until => 'Z');
is(join('|', data_row((messages_of($r, 'D'))[0][1])), '12:00:00+15:59:59', 'a binary timetz just inside the zone range');
send_bytes($s, parse_msg('', 'select $1::text, $2::text', 1114, 1082)
	  . bind_msg('', '', [1], [ pack('q>', 9223372036854775807), pack('l>', -2147483648) ], []) . execute_msg('', 0) . sync_msg());
$r = read_reply($s, until => 'Z');
is(join('|', data_row((messages_of($r, 'D'))[0][1])), 'infinity|-infinity', 'binary infinities are kept');

# EXPLAIN with parameters: their types are the explained statement's, as
# PostgreSQL infers them, and Bind gives them
send_bytes($s, parse_msg('ex', 'explain select name from acc where id = $1') . describe_msg('S', 'ex')
	  . bind_msg('', 'ex', [], ['2'], []) . execute_msg('', 0) . sync_msg());
$r = read_reply($s, until => 'Z');
like(types($r), qr/^1tT2D+CZ$/, 'EXPLAIN with an undeclared parameter: Parse, Describe, Bind, Execute')
  or diag(first_error($r)->{M});
is_deeply([ unpack('nN', (messages_of($r, 't'))[0][1]) ], [ 1, 23 ], '... $1 is int4, from the column it is compared with');
is((messages_of($r, 'C'))[0][1], "EXPLAIN\0", '... tagged EXPLAIN');

done_testing();
