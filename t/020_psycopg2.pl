# psycopg2 (Debian's python3-psycopg2) against a single dosql-shard:
# connection, client-side parameter inlining, transactions and autocommit,
# type round-trips to the right Python types, cursor.description, rowcount,
# executemany, error classes and SQLSTATEs, named (DECLARE/FETCH) cursors,
# COPY FROM STDIN / TO STDOUT and a 1 MB parameter.
#
# The checks run in t/py/psycopg2_basic.py, which prints one JSON object per
# check; every check is asserted here on its own so a failure names it.
# Expected values are what PostgreSQL 15 gives for the same statements.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Utils qw(run_command);
use DoSQL::Test::Deps qw(require_dependency python_module_missing);

require_dependency(python_module_missing('psycopg2', 'python3-psycopg2'));
my $python = $DoSQL::Test::Deps::python;

my $script = "$DoSQL::Test::ServerNode::repo_dir/t/py/psycopg2_basic.py";

my $node = DoSQL::Test::ServerNode->new_shard('psycopg2');
$node->start;
# the same checks through the router, its tables sharded by id (uq keeps
# its UNIQUE email on one shard, pt has no key)
my $cluster = DoSQL::Test::Cluster->new('psycopg2_router', shards => 4,
	tables => { map { $_ => { column_vindexes => [ { column => 'id', name => 'hash' } ] } }
		  qw(pw txt alltypes jt bt rc nc cp) });
$cluster->start;

# JSON booleans become the strings 'true' / 'false' so that is_deeply can
# compare them with plain values.
sub plain
{
	my ($v) = @_;
	return $v ? 'true' : 'false' if JSON::PP::is_bool($v);
	return [ map { plain($_) } @$v ] if ref $v eq 'ARRAY';
	return { map { $_ => plain($v->{$_}) } keys %$v } if ref $v eq 'HASH';
	return $v;
}

my (%result, $target);

# Run the script against connstr and keep its checks in %result.
sub run_script
{
	my ($name, $connstr) = @_;
	$target = $name;
	%result = ();
	my ($rc, $out, $err) = run_command([ $python, $script, $connstr ], timeout => 300);
	is($rc, 0, "$target: the psycopg2 script ran to completion")
	  or diag("stderr:\n$err");
	for my $line (split /\n/, $out)
	{
	my $r = eval { JSON::PP->new->utf8->decode($line) };
	if (!$r)
	{
		diag("unexpected output line: $line");
		next;
	}
	$result{ $r->{name} } = $r;
	}
	return;
}

# Asserts one check: its value, or fails with the exception it raised.
sub check
{
	my ($name, $expected, $desc) = @_;
	my $r = $result{$name};
	if (!$r)
	{
		fail("$target: $name: $desc");
		diag("check $name produced no output");
		return;
	}
	if (exists $r->{error})
	{
		fail("$target: $name: $desc");
		diag("raised $r->{error}\n" . ($r->{trace} // ''));
		return;
	}
	is_deeply(plain($r->{value}), $expected, "$target: $name: $desc")
	  or diag(explain(plain($r->{value})));
}

# Asserts one field of a check whose value is a dictionary.
sub check_field
{
	my ($name, $key, $expected, $desc) = @_;
	my $r = $result{$name};
	if (!$r || exists $r->{error} || ref $r->{value} ne 'HASH')
	{
		fail("$target: $name: $desc");
		diag($r ? ($r->{error} // 'value is not a dictionary') : "check $name produced no output");
		return;
	}
	is_deeply(plain($r->{value}{$key}), $expected, "$target: $name: $desc");
}

for my $t ([ 'one shard', $node->connstr ], [ 'the router', $cluster->router->connstr ])
{
	run_script(@$t);
	all_checks();
}

sub all_checks
{
# --- connection
check('connect.server_version', 15, 'server_version is PostgreSQL 15');
check('connect.protocol_version', 3, 'protocol version 3');
check('connect.encoding', 'UTF8', 'client encoding UTF8');
check('connect.autocommit_default', 'false', 'autocommit is off by default');
check('connect.select_1', [ [ 'int', 1 ] ], 'SELECT 1 gives a Python int');

# --- parameters, inlined client-side and read back with SELECT %s
check('param.select.int', [ 'int', 42 ], 'int parameter');
check('param.select.bigint', [ 'int', '9007199254740993' ], 'int parameter beyond 2^53');
check('param.select.negint', [ 'int', -7 ], 'negative int parameter');
check('param.select.float', [ 'Decimal', '1.5' ], 'float parameter is an untyped numeric literal');
check('param.select.str_quotes', [ 'str', q{O'Reilly said "hi"; back\\slash} ],
	'str parameter with quotes and a backslash');
check('param.select.str_unicode', [ 'str', "h\x{e9}llo w\x{f6}rld \x{2603} \x{1F600}" ],
	'str parameter with non-ASCII characters');
check('param.select.none', [ 'NoneType', undef ], 'None parameter is NULL');
check('param.select.true', [ 'bool', 'true' ], 'True parameter');
check('param.select.false', [ 'bool', 'false' ], 'False parameter');
check('param.select.bytes', [ 'memoryview', '0001275cff' ], 'bytes parameter comes back as bytea');
check('param.select.decimal', [ 'Decimal', '12345.678' ], 'Decimal parameter');
check('param.select.date', [ 'date', '2024-02-29' ], 'date parameter');
check('param.select.datetime_tz', [ 'datetime+tz', '2024-03-01T10:34:56.789000+00:00' ],
	'tz-aware datetime parameter is a timestamptz');
check('param.select.datetime_naive', [ 'datetime', '2024-03-01T12:34:56' ],
	'naive datetime parameter is a timestamp');
check('param.select.uuid', [ 'UUID', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' ],
	'UUID parameter with register_uuid');
check('param.named_dict', [ [ 'int', 5 ], [ 'str', 'yx' ] ], '%(name)s parameters');
check('param.percent_literal', 'a%bc', '%% is a literal percent sign');
check('param.in_where', [ [ [2] ], [ [q{it's}] ] ], 'parameters in INSERT VALUES and WHERE');

# --- transactions
check('tx.setup', 0, 'idle after commit');
check('tx.status_in_transaction', [ 2, 0 ],
	'an implicit BEGIN: in transaction, uncommitted row invisible to another connection');
check('tx.rollback_discards', 0, 'conn.rollback() discards the insert');
check('tx.commit_keeps', [ 0, [ [ 2, 'committed' ] ] ], 'conn.commit() makes the insert visible');
check('tx.error_aborts',
	[ [ 'DivisionByZero', '22012' ], 3, [ 'InFailedSqlTransaction', '25P02' ], 0, 0 ],
	'an error aborts the transaction until conn.rollback(), which discards its work');
check('tx.autocommit_on', [ 0, ['autocommitted'], 2, 0 ],
	'autocommit: each statement commits; explicit BEGIN/ROLLBACK still work');
check('tx.autocommit_off_again', [ 2, 0 ], 'autocommit switched back off');
check('tx.context_manager', [7], 'with conn: commits on success, rolls back on exception');
check('tx.set_session_readonly', [ 'ReadOnlySqlTransaction', '25006' ],
	'set_session(readonly=True) refuses an INSERT');

# --- types
check('types.create', 1, 'table with every type created and filled');
check('types.select', 16, 'all columns selected');
my %types = (
	c_int2 => [ [ 'int', 32767 ], 21 ],
	c_int4 => [ [ 'int', -2147483648 ], 23 ],
	c_int8 => [ [ 'int', '9223372036854775807' ], 20 ],
	c_float8 => [ [ 'float', '0.1' ], 701 ],
	c_numeric => [ [ 'Decimal', '1.50' ], 1700 ],
	c_text => [ [ 'str', "tab\tnewline\nquote'\x{e9}" ], 25 ],
	c_varchar => [ [ 'str', 'abc' ], 1043 ],
	c_char => [ [ 'str', 'ab   ' ], 1042 ],
	c_bool => [ [ 'bool', 'true' ], 16 ],
	c_bytea => [ [ 'memoryview', '00ff10' ], 17 ],
	c_date => [ [ 'date', '2024-02-29' ], 1082 ],
	c_ts => [ [ 'datetime', '2024-03-01T12:34:56.500000' ], 1114 ],
	c_tstz => [ [ 'datetime+tz', '2024-03-01T10:34:56.123456+00:00' ], 1184 ],
	c_uuid => [ [ 'UUID', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' ], 2950 ],
	c_json => [ [ 'dict', '{"a": [1, 2, null], "b": "x"}' ], 114 ],
	c_jsonb => [ [ 'dict', '{"a": 1.5, "b": {"c": true}}' ], 3802 ],
);
for my $col (qw(c_int2 c_int4 c_int8 c_float8 c_numeric c_text c_varchar c_char
	c_bool c_bytea c_date c_ts c_tstz c_uuid c_json c_jsonb))
{
	my ($value, $oid) = @{ $types{$col} };
	check("types.value.$col", $value, "$col comes back as $value->[0]");
	check("types.description.$col", [ $col, $oid ], "$col: description name and type OID $oid");
}
check('types.nulls', [ map { [ 'NoneType', undef ] } 1 .. 16 ], 'NULL of every type is None');
check('types.numeric.cast_int', [ 'Decimal', '2.00' ], '2::numeric(10,2) has scale 2');
check('types.numeric.literal', [ 'Decimal', '1.10' ], '1.10::numeric keeps its trailing zero');
check('types.numeric.add', [ 'Decimal', '0.3' ], '0.1 + 0.2 is exact numeric');
check('types.numeric.mul', [ 'Decimal', '21.00' ], 'numeric(10,2) * 2 keeps scale 2');
check('types.numeric.div', [ 'Decimal', '3.5000000000000000' ], '7.0 / 2 has numeric division scale');
check('types.float_special',
	[ [ 'float', 'inf' ], [ 'float', '-inf' ], [ 'float', '1e+100' ], [ 'float', '0.30000000000000004' ] ],
	'float8 infinities and shortest round-trip output');
my $jdoc = '{"n": null, "name": "O\'Brien", "ok": true, "tags": ["a", "\\u00fc"]}';
check('types.json_roundtrip_param', [ [ 'dict', $jdoc ], [ 'dict', $jdoc ], 'true', 'true' ],
	'psycopg2.extras.Json into json and jsonb columns and back');
check('types.bytea_param_roundtrip', [ 'true', 256 ], 'all 256 byte values through bytea');
check('types.param_insert_roundtrip',
	[
		[ 'int', 1234567890123 ], [ 'float', '2.25' ], [ 'Decimal', '3.142' ],
		[ 'str', "\x{e9}t\x{e9} 'x'" ], [ 'bool', 'false' ], [ 'date', '1999-12-31' ],
		[ 'datetime', '2000-01-02T03:04:05.600000' ], [ 'datetime+tz', '2000-01-02T03:04:05+00:00' ],
		[ 'UUID', '12345678-1234-5678-1234-567812345678' ]
	],
	'parameters inserted into typed columns read back (numeric rounded to its scale)');

# --- rowcount, executemany
check('rowcount.insert_update_delete_select',
	[ -1, 3, 2, 0, 3, 1, [ [ 2, 21 ], [ 3, 31 ] ], 'SELECT 2' ],
	'rowcount for DDL, INSERT, UPDATE, UPDATE of nothing, SELECT, DELETE; statusmessage');
check('executemany', [ 3, [ [ 10, 100 ], [ 11, 110 ], [ 12, undef ] ] ],
	'executemany inserts every row and sums rowcount');
check('execute_values', [ 'int', 6 ], 'extras.execute_values');
check('dictcursor', { id => 2, value => 21, '?column?' => 2, n => 1 },
	'RealDictCursor keys are PostgreSQL column names');

# --- errors
my %unique = (
	class => 'UniqueViolation',
	is_unique_violation => 'true',
	is_integrity_error => 'true',
	pgcode => '23505',
	pgerror => qq{ERROR:  duplicate key value violates unique constraint "uq_email_key"\n}
	  . qq{DETAIL:  Key (email)=(a\@x) already exists.\n},
	severity => 'ERROR',
	message_primary => 'duplicate key value violates unique constraint "uq_email_key"',
	message_detail => 'Key (email)=(a@x) already exists.',
	constraint_name => 'uq_email_key',
	table_name => 'uq',
	schema_name => 'public',
);
for my $k (sort keys %unique)
{
	check_field('error.unique_violation', $k, $unique{$k}, "unique violation: $k");
}
check('error.pk_violation', [ 'UniqueViolation', '23505', 'uq_pkey' ], 'primary key violation');
check('error.undefined_table',
	[ 'UndefinedTable', '42P01', 'relation "no_such_table" does not exist', '15' ],
	'undefined table: class, SQLSTATE, message and position');
check('error.not_null', [ 'NotNullViolation', '23502', 'id' ], 'NOT NULL violation names the column');
check('error.syntax', [ 'SyntaxError', '42601', 'syntax error at or near "SELEC"' ], 'syntax error');

# --- named cursors
check('named_cursor.setup', 25, '25 rows to fetch');
check('named_cursor.fetchmany',
	[ [ [ 1 .. 10 ], [ 11 .. 20 ], [ 21 .. 25 ] ], [ [ 'id', 23 ], [ 'label', 25 ] ] ],
	'named cursor: fetchmany(10) in batches and its description');
check('named_cursor.iterate_itersize', [ 25, 25, 1 ], 'named cursor iterated with itersize 7');
check('named_cursor.fetchone_fetchall_scroll', [ 1, [ 2, 3 ], 9, 1, 24 ],
	'scrollable named cursor: fetchone, fetchmany, scroll relative and absolute, fetchall');
check('named_cursor.withhold', [ 1, 2, 3 ], 'WITH HOLD cursor survives the commit');

# --- COPY
check('copy.from_stdin',
	[
		3,
		[
			[ 1, 'apple', '1.50', undef ],
			[ 2, "O'Brien \x{e9}", '2.00', "tab\there" ],
			[ 3, 'back\\slash', '-3.25', "line\nbreak" ]
		]
	],
	'COPY FROM STDIN text format: escapes, \N, row count');
check('copy.from_stdin_csv', [ 2, [ [ 4, 'quoted, comma', undef ], [ 5, 'say "hi"', 'x' ] ] ],
	'COPY FROM STDIN CSV with HEADER');
check('copy.to_stdout',
	"1\tapple\t1.50\t\\N\n2\tO'Brien \x{e9}\t2.00\ttab\\there\n3\tback\\\\slash\t-3.25\tline\\nbreak\n"
	  . "4\tquoted, comma\t4.50\t\\N\n5\tsay \"hi\"\t5.00\tx\n",
	'COPY TO STDOUT text format');
check('copy.to_stdout_query_csv',
	qq{id,name\n2,O'Brien \x{e9}\n4,"quoted, comma"\n5,"say ""hi"""\n},
	'COPY (query) TO STDOUT CSV with HEADER');
check('copy.bad_data', [ 'InvalidTextRepresentation', '22P02', 0 ],
	'COPY with a bad value fails with 22P02 and loads nothing');

# --- large values
check('huge.select_1mb', [ 'true', 1048576, 1048576 ], 'SELECT %s with a 1 MB string');
check('huge.insert_bytea_1mb', [ 'true', 1048576 ], '1 MB bytea parameter round-trips');

check('final.select', 'done', 'the connection still works at the end');
check('end', 'true', 'the script reached its end');
	return;
}


# psycopg2 sends its parameters inlined in simple Query messages; the server
# survives all of the above
is($node->safe_psql('select count(*) from nc'), '25', 'shard still answers psql');
is($cluster->router->safe_psql('select count(*) from nc'), '25', 'the router too');
is(scalar(grep { $_->safe_psql('select count(*) from cp') > 0 } $cluster->shards) > 1, 1,
	'the COPY rows went to several shards');

done_testing();
