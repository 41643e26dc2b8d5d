# DBD::Pg (Debian libdbd-pg-perl) against a single dosql-shard: connect,
# do() with placeholders, prepared statements executed many times (DBD::Pg
# names them dbdpg_p<pid>_<n> after the first execute and DEALLOCATEs them),
# fetchrow_*, type round-trips, last_insert_id, transactions and AutoCommit,
# SQLSTATE of errors, pg_server_version, ?/$1/:name placeholders,
# NAME / pg_type / TYPE statement attributes, NULLs and COPY.
# Expected values are what PostgreSQL 15 gives for the same calls.
use strict;
use warnings;
use utf8;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN
{
	require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl'));
	DBD::Pg->import(':pg_types');
}

my $node = DoSQL::Test::ServerNode->new_shard('dbdpg');
$node->start;
# the same checks through the router, the tables with a key sharded by it
# (items and serials take their keys from a sequence, uq keeps its UNIQUE
# email on one shard)
my $cluster = DoSQL::Test::Cluster->new('dbdpg_router', shards => 4,
	tables => { (map { $_ => { column_vindexes => [ { column => 'id', name => 'hash' } ] } } qw(alltypes tx cp)),
		(map { $_ => { pinned => '-40' } } qw(items serials uq)) });
$cluster->start;

my @warnings;
$SIG{__WARN__} = sub { push @warnings, $_[0]; };

my ($dbh, $target, $dsn);
for my $t ([ 'one shard', $node ], [ 'the router', $cluster->router ])
{
	$target = $t->[0];
	$dsn = 'dbi:Pg:host=' . $t->[1]->host . ';port=' . $t->[1]->port . ';dbname=dosql';
	$dbh = DBI->connect($dsn, 'dosql', '', { RaiseError => 1, PrintError => 0, AutoCommit => 1, pg_enable_utf8 => 1 });
	ok($dbh, "$target: DBI->connect with dbi:Pg:host=...;port=...;dbname=...")
	  or BAIL_OUT("cannot connect: $DBI::errstr");
	all_sections();
	$dbh->disconnect;
	is($t->[1]->safe_psql('select count(*) from items'), '15', "$target: psql sees what DBD::Pg committed");
}
is(scalar(grep { $_->safe_psql('select count(*) from cp') > 0 } $cluster->shards) > 1, 1,
	'through the router, the COPY rows went to several shards');

sub all_sections
{

# Runs a block of checks; an unexpected exception fails the block and the
# handle is brought back to an idle state for the next one.
sub section
{
	my ($name, $code) = @_;
	my $ok = eval { $code->(); 1 };
	if (!$ok)
	{
		fail("$target: $name: no unexpected error");
		diag("$target: $name died: $@");
		eval { $dbh->rollback unless $dbh->{AutoCommit}; 1 };
		eval { $dbh->{AutoCommit} = 1; 1 };
	}
}

# --- connection
section('connect', sub {
	my $v = $dbh->{pg_server_version};
	ok($v >= 150000 && $v < 160000, "pg_server_version is 15xxxx ($v)");
	is($dbh->{pg_protocol}, 3, 'protocol 3');
	is($dbh->{pg_user}, 'dosql', 'pg_user');
	is($dbh->{pg_db}, 'dosql', 'pg_db');
	is($dbh->ping, 1, 'ping: idle');
	is_deeply([ $dbh->selectrow_array('select 1, 2::int8, $$x$$') ], [ 1, 2, 'x' ], 'selectrow_array');
	$dbh->do(q{SET TIME ZONE 'UTC'});
	is($dbh->selectrow_array('show timezone'), 'UTC', 'SET TIME ZONE');
});

# --- do() with placeholders
section('do', sub {
	is($dbh->do('create table items (id serial primary key, name text not null unique,
		qty int default 0, price numeric(10,2))'), '0E0', 'do(CREATE TABLE) returns 0E0');
	is($dbh->do('insert into items (name, qty, price) values (?, ?, ?)', undef, 'apple', 3, '1.5'),
		1, 'do(INSERT) with placeholders returns 1');
	is($dbh->do('insert into items (name, qty, price) values (?, ?, ?), (?, ?, ?)', undef,
			"O'Brien \"q\" \\", 5, 2, 'ünïcödé ☃', undef, undef),
		2, 'do(INSERT) of two rows returns 2');
	is($dbh->do('update items set qty = qty + ? where qty >= ?', undef, 10, 3), 2, 'do(UPDATE) row count');
	is($dbh->do('update items set qty = 0 where id > ?', undef, 1000), '0E0', 'do(UPDATE) of no row returns 0E0');
	is($dbh->do('delete from items where name = ?', undef, 'nothing'), '0E0', 'do(DELETE) of no row');
	is_deeply($dbh->selectall_arrayref('select id, name, qty, price from items order by id'),
		[ [ 1, 'apple', 13, '1.50' ], [ 2, "O'Brien \"q\" \\", 15, '2.00' ], [ 3, 'ünïcödé ☃', undef, undef ] ],
		'rows as inserted, NULLs as undef, numeric with its scale');
	is($dbh->selectrow_array('select count(*) from items where name = ?', undef, 'ünïcödé ☃'), 1,
		'non-ASCII placeholder value in WHERE');
});

# --- prepare once, execute many times
section('prepare', sub {
	my $ins = $dbh->prepare('insert into items (name, qty) values (?, ?)');
	for my $i (1 .. 12)
	{
		my $rv = $ins->execute("item$i", $i);
		is($rv, 1, "prepared INSERT execute #$i") if $i <= 2 || $i == 12;
	}
	like($ins->{pg_prepare_name} // '', qr/^dbdpg_p\d+_\d+$/, 'statement runs as a named server-side prepared statement');
	is($dbh->selectrow_array(q{select count(*) from items where name like 'item%'}), 12,
		'12 executions inserted 12 rows');
	undef $ins;    # DEALLOCATE

	my $sel = $dbh->prepare('select id, name, qty from items where qty = ? order by id');
	my @got;
	for my $q (1, 2, 3, 4, 5, 1)
	{
		$sel->execute($q);
		while (my $r = $sel->fetchrow_arrayref)
		{
			push @got, "$r->[1]:$r->[2]";
		}
	}
	is(join(',', @got), 'item1:1,item2:2,item3:3,item4:4,item5:5,item1:1',
		'prepared SELECT executed 6 times with fetchrow_arrayref');
	is($sel->rows, 1, '$sth->rows after SELECT');
	$sel->finish;
	undef $sel;

	# the same SQL prepared twice gets two server-side statements
	my $a = $dbh->prepare('select ?::int * 2');
	my $b = $dbh->prepare('select ?::int * 2');
	for (1 .. 3)
	{
		$a->execute($_);
		$b->execute($_ + 10);
		is_deeply([ $a->fetchrow_array, $b->fetchrow_array ], [ $_ * 2, ($_ + 10) * 2 ],
			"two handles of the same SQL, round $_");
	}
	undef $a;
	undef $b;

	my $h = $dbh->prepare('select id, name, qty as "Qty", price from items where id = ?');
	$h->execute(1);
	is_deeply($h->fetchrow_hashref, { id => 1, name => 'apple', Qty => 13, price => '1.50' },
		'fetchrow_hashref keys are column names, quoted case kept');
	is_deeply($h->{NAME}, [ 'id', 'name', 'Qty', 'price' ], '$sth->{NAME}');
	is_deeply($h->{NAME_lc}, [ 'id', 'name', 'qty', 'price' ], '$sth->{NAME_lc}');
	is($h->{NUM_OF_FIELDS}, 4, 'NUM_OF_FIELDS');
	is($h->{NUM_OF_PARAMS}, 1, 'NUM_OF_PARAMS');
	$h->finish;

	is_deeply($dbh->selectall_arrayref('select id, name from items where id <= ? order by id', { Slice => {} }, 2),
		[ { id => 1, name => 'apple' }, { id => 2, name => "O'Brien \"q\" \\" } ], 'selectall_arrayref with Slice');
	is_deeply($dbh->selectcol_arrayref('select qty from items where id in (?, ?) order by id', undef, 1, 2),
		[ 13, 15 ], 'selectcol_arrayref');
});

# --- placeholder styles
section('placeholders', sub {
	is($dbh->selectrow_array('select ?::int + ?::int', undef, 2, 3), 5, '? placeholders');
	is($dbh->selectrow_array('select $1::int * 10 + $2::int + $1::int', undef, 2, 3), 25,
		'$1 placeholders, one used twice');
	my $sth = $dbh->prepare('select :a::text || :b::text || :a::text');
	$sth->bind_param(':a', 'x');
	$sth->bind_param(':b', 'y');
	$sth->execute;
	is($sth->fetchrow_array, 'xyx', ':name placeholders');
	is($dbh->selectrow_array(q{select 'it''s a ? not a placeholder' || ?}, undef, '!'),
		q{it's a ? not a placeholder!}, 'a ? inside a string literal is not a placeholder');
	is($dbh->selectrow_array('select ?::text is null', undef, undef), 1, 'undef binds NULL');
	is($dbh->selectrow_array('select length(?)', undef, 'x' x 1048576), 1048576, '1 MB parameter');
});

# --- types
section('types', sub {
	$dbh->do(q{create table alltypes (id int primary key, c_int2 int2, c_int4 int4, c_int8 int8,
		c_numeric numeric(10,2), c_float8 float8, c_text text, c_varchar varchar(10), c_char char(5),
		c_bool bool, c_bytea bytea, c_date date, c_ts timestamp, c_tstz timestamptz, c_uuid uuid,
		c_json json, c_jsonb jsonb)});
	my $bytes = join '', map { chr } 0 .. 255;
	my $ins = $dbh->prepare('insert into alltypes values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
	$ins->bind_param(11, undef, { pg_type => PG_BYTEA() });
	is($ins->execute(1, -32768, 2147483647, '-9223372036854775808', '12345678.9', '0.1', "tab\there\nnl",
			'abc', 'ab', 1, $bytes, '2024-02-29', '2024-03-01 12:34:56.5', '2024-03-01 12:34:56.123456+02',
			'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{"a": [1, 2, null], "b": "x"}',
			'{"b": {"c": true}, "a": 1.5}'),
		1, 'INSERT of every type with placeholders');
	$ins->bind_param(11, undef, { pg_type => PG_BYTEA() });
	$ins->execute(2, (undef) x 16);
	undef $ins;

	my $sth = $dbh->prepare('select * from alltypes where id = ?');
	$sth->execute(1);
	my $r = $sth->fetchrow_hashref;
	is($r->{c_int2}, -32768, 'int2');
	is($r->{c_int4}, 2147483647, 'int4');
	is($r->{c_int8}, '-9223372036854775808', 'int8');
	is($r->{c_numeric}, '12345678.90', 'numeric(10,2) keeps its scale');
	is($r->{c_float8}, '0.1', 'float8');
	is($r->{c_text}, "tab\there\nnl", 'text with tab and newline');
	is($r->{c_varchar}, 'abc', 'varchar');
	is($r->{c_char}, 'ab   ', 'char(5) is blank padded');
	is($r->{c_bool}, 1, 'bool true is 1');
	ok($r->{c_bytea} eq $bytes, 'bytea with pg_type => PG_BYTEA round-trips all 256 byte values');
	is(length($r->{c_bytea}), 256, 'bytea length');
	is($r->{c_date}, '2024-02-29', 'date');
	is($r->{c_ts}, '2024-03-01 12:34:56.5', 'timestamp');
	is($r->{c_tstz}, '2024-03-01 10:34:56.123456+00', 'timestamptz in the session time zone');
	is($r->{c_uuid}, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'uuid in lower case');
	is($r->{c_json}, '{"a": [1, 2, null], "b": "x"}', 'json keeps its text');
	is($r->{c_jsonb}, '{"a": 1.5, "b": {"c": true}}', 'jsonb is normalised');

	is_deeply($sth->{NAME}, [qw(id c_int2 c_int4 c_int8 c_numeric c_float8 c_text c_varchar c_char
		c_bool c_bytea c_date c_ts c_tstz c_uuid c_json c_jsonb)], 'NAME of every column');
	is_deeply($sth->{pg_type}, [qw(int4 int2 int4 int8 numeric float8 text varchar bpchar
		bool bytea date timestamp timestamptz uuid json jsonb)], 'pg_type of every column');
	is_deeply($sth->{TYPE}, [ 4, 5, 4, -5, 2, 6, -1, 12, 1, 16, -3, 91, 11, 95, 0, 0, 0 ],
		'TYPE (SQL type codes) of every column');
	$sth->execute(0);
	is($sth->fetchrow_hashref, undef, 'no row: fetchrow_hashref returns undef');
	$sth->execute(2);
	$r = $sth->fetchrow_arrayref;
	is_deeply([ @$r[ 1 .. 16 ] ], [ (undef) x 16 ], 'NULL of every type is undef');
	$sth->finish;

	is($dbh->selectrow_array('select c_bool from alltypes where id = 1 and c_bool = ?', undef, 1), 1,
		'bool placeholder bound as 1');
	is_deeply([ $dbh->selectrow_array(q{select true, false, null::bool}) ], [ 1, 0, undef ],
		'bool literals are 1 and 0');
});

section('types.params', sub {
	is($dbh->selectrow_array('select count(*) from alltypes where c_uuid = ?', undef,
		'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), 1, 'uuid compared with a text placeholder');
});

section('types.jsonb_param', sub {
	is($dbh->selectrow_array('select c_jsonb ->> ? from alltypes where id = 1', undef, 'a'), '1.5',
		'jsonb ->> with a placeholder');
});

section('types.bytea_param', sub {
	my $b = $dbh->prepare('select ?::bytea');
	$b->bind_param(1, "\x00\\'x\xff", { pg_type => PG_BYTEA() });
	$b->execute;
	is($b->fetchrow_array, "\x00\\'x\xff", 'bytea placeholder with NUL, backslash and quote');
	$b->finish;
});

section('types.text_output', sub {
	my @cases = (
		[ '2::numeric(10,2)', '2.00', 'integer cast to numeric(10,2) gets its scale' ],
		[ '1.10::numeric', '1.10', 'numeric keeps trailing zeros of its literal' ],
		[ '0.1 + 0.2', '0.3', 'numeric addition is exact' ],
		[ '10.5::numeric(10,2) * 2', '21.00', 'numeric multiplication keeps the scale' ],
		[ '7 / 2', '3', 'integer division' ],
		[ '7.0 / 2', '3.5000000000000000', 'numeric division scale' ],
		[ '1e100::float8', '1e+100', 'float8 exponent output' ],
		[ q{'NaN'::float8}, 'NaN', 'float8 NaN' ],
	);
	for my $c (@cases)
	{
		is($dbh->selectrow_array("select $c->[0]"), $c->[1], "select $c->[0]: $c->[2]");
	}
});

# --- last_insert_id
section('last_insert_id', sub {
	$dbh->do('create table serials (id serial primary key, v text)');
	$dbh->do('insert into serials (v) values (?)', undef, 'a');
	is($dbh->last_insert_id(undef, undef, 'serials', 'id'), 1, 'last_insert_id after the first insert');
});
section('last_insert_id.second', sub {
	$dbh->do('insert into serials (v) values (?), (?)', undef, 'b', 'c');
	is($dbh->last_insert_id(undef, undef, 'serials', 'id'), 3, 'last_insert_id after a two-row insert');
});
section('last_insert_id.sequence_functions', sub {
	is($dbh->selectrow_array(q{select pg_get_serial_sequence('serials', 'id')}), 'public.serials_id_seq',
		'pg_get_serial_sequence');
	is($dbh->selectrow_array(q{select currval('serials_id_seq')}), 3, 'currval');
	is($dbh->selectrow_array(q{insert into serials (v) values ('d') returning id}), 4, 'INSERT ... RETURNING');
});

# --- transactions
section('transactions', sub {
	$dbh->do('create table tx (id int primary key, v text)');
	my $other = DBI->connect($dsn, 'dosql', '', { RaiseError => 1, PrintError => 0, AutoCommit => 1 });

	ok($dbh->begin_work, 'begin_work');
	is($dbh->{AutoCommit}, '', 'AutoCommit is off inside begin_work');
	$dbh->do('insert into tx values (1, ?)', undef, 'rolled back');
	is($dbh->ping, 3, 'ping: idle in transaction');
	is($other->selectrow_array('select count(*) from tx'), 0, 'uncommitted row invisible to another session');
	ok($dbh->rollback, 'rollback');
	is($dbh->{AutoCommit}, 1, 'AutoCommit back on after rollback');
	is($dbh->selectrow_array('select count(*) from tx'), 0, 'rollback discarded the row');

	$dbh->begin_work;
	$dbh->do('insert into tx values (2, ?)', undef, 'committed');
	ok($dbh->commit, 'commit');
	is($other->selectrow_array('select v from tx where id = 2'), 'committed', 'committed row visible to another session');

	$dbh->{AutoCommit} = 0;
	$dbh->do('insert into tx values (3, ?)', undef, 'pending');
	is($dbh->ping, 3, 'AutoCommit off: the first statement opened a transaction');
	$dbh->rollback;
	is($dbh->selectrow_array('select count(*) from tx where id = 3'), 0, 'AutoCommit off: rollback discards');
	$dbh->do('insert into tx values (4, ?)', undef, 'kept');
	$dbh->commit;
	is($other->selectrow_array('select count(*) from tx where id = 4'), 1, 'AutoCommit off: commit keeps');

	# an error inside a transaction
	$dbh->do('insert into tx values (5, ?)', undef, 'lost');
	ok(!eval { $dbh->do('select 1/0'); 1 }, 'division by zero raises');
	is($dbh->state, '22012', 'state 22012');
	is($dbh->ping, 4, 'ping: in a failed transaction');
	ok(!eval { $dbh->do('select 1'); 1 }, 'statements fail in an aborted transaction');
	is($dbh->state, '25P02', 'state 25P02');
	like($dbh->errstr, qr/current transaction is aborted, commands ignored until end of transaction block/,
		'25P02 message');
	$dbh->rollback;
	is($dbh->ping, 1, 'idle after rollback');
	is($dbh->selectrow_array('select count(*) from tx where id = 5'), 0, 'the failed transaction left nothing');
	$dbh->commit;
	$dbh->{AutoCommit} = 1;

	# savepoints
	$dbh->begin_work;
	$dbh->do('insert into tx values (6, ?)', undef, 'outer');
	$dbh->pg_savepoint('sp1');
	$dbh->do('insert into tx values (7, ?)', undef, 'inner');
	$dbh->pg_rollback_to('sp1');
	$dbh->pg_release('sp1');
	$dbh->commit;
	is_deeply($dbh->selectcol_arrayref('select id from tx where id >= 6 order by id'), [6],
		'pg_savepoint / pg_rollback_to / pg_release');
	$other->disconnect;
});

# --- errors
section('errors', sub {
	$dbh->do('create table uq (id int primary key, email text unique)');
	$dbh->do('insert into uq values (1, ?)', undef, 'a@x');
	my $ok = eval { $dbh->do('insert into uq values (2, ?)', undef, 'a@x'); 1 };
	ok(!$ok, 'unique violation raises');
	is($dbh->state, '23505', 'unique violation: $dbh->state is 23505');
	is($dbh->err, 7, 'unique violation: $dbh->err is PGRES_FATAL_ERROR');
	like($dbh->errstr, qr/^ERROR:  duplicate key value violates unique constraint "uq_email_key"\nDETAIL:  Key \(email\)=\(a\@x\) already exists\./,
		'unique violation: errstr with message and detail');
	is($dbh->pg_error_field('constraint'), 'uq_email_key', 'pg_error_field constraint');
	is($dbh->pg_error_field('table'), 'uq', 'pg_error_field table');
	is($dbh->pg_error_field('severity'), 'ERROR', 'pg_error_field severity');

	my $sth = $dbh->prepare('insert into uq values (?, ?)');
	ok(!eval { $sth->execute(1, 'b@x'); 1 }, 'primary key violation from a prepared statement raises');
	is($sth->state, '23505', 'primary key violation: $sth->state');
	like($sth->errstr, qr/duplicate key value violates unique constraint "uq_pkey"/, 'primary key violation message');
	is($sth->execute(3, 'c@x'), 1, 'the same statement handle works after the error');
	undef $sth;

	ok(!eval { $dbh->do('select * from nosuch'); 1 }, 'undefined table raises');
	is($dbh->state, '42P01', 'undefined table: 42P01');
	ok(!eval { $dbh->do('selec 1'); 1 }, 'syntax error raises');
	is($dbh->state, '42601', 'syntax error: 42601');
	ok(!eval { $dbh->selectrow_array('select ?::int', undef, 'abc'); 1 }, 'bad integer parameter raises');
	is($dbh->state, '22P02', 'bad integer parameter: 22P02');
	ok(!eval { $dbh->do('insert into uq values (null, ?)', undef, 'n'); 1 }, 'NOT NULL violation raises');
	is($dbh->state, '23502', 'NOT NULL violation: 23502');
	is($dbh->selectrow_array('select 42'), 42, 'the connection works after errors');
	is($dbh->state, '', 'state is empty after success');
});

# --- COPY
section('copy', sub {
	$dbh->do('create table cp (id int primary key, name text, amount numeric(10,2))');
	$dbh->do('COPY cp FROM STDIN');
	ok($dbh->pg_putcopydata("1\tapple\t1.5\n"), 'pg_putcopydata');
	$dbh->pg_putcopydata("2\tO'Brien é\t\\N\n");
	$dbh->pg_putcopydata("3\ttab\\there\t-2\n");
	ok($dbh->pg_putcopyend, 'pg_putcopyend');
	is_deeply($dbh->selectall_arrayref('select id, name, amount from cp order by id'),
		[ [ 1, 'apple', '1.50' ], [ 2, "O'Brien é", undef ], [ 3, "tab\there", '-2.00' ] ],
		'COPY FROM STDIN rows');

	is($dbh->do('COPY cp TO STDOUT'), -1, 'do(COPY TO STDOUT) returns -1 before the data is read');
	my ($line, @lines);
	while ($dbh->pg_getcopydata($line) >= 0)
	{
		push @lines, $line;
	}
	# a table's rows come in no defined order (shard by shard through the router)
	is_deeply([ sort @lines ], [ "1\tapple\t1.50\n", "2\tO'Brien é\t\\N\n", "3\ttab\\there\t-2.00\n" ],
		'pg_getcopydata returns each line');

	$dbh->do(q{COPY (select id, name from cp where id <> 2 order by id desc) TO STDOUT WITH (FORMAT csv)});
	@lines = ();
	while ($dbh->pg_getcopydata($line) >= 0)
	{
		push @lines, $line;
	}
	is_deeply(\@lines, [ "3,tab\there\n", "1,apple\n" ], 'COPY (query) TO STDOUT CSV');

	$dbh->do('COPY cp FROM STDIN');
	$dbh->pg_putcopydata("9\tbad\tnot-a-number\n");
	ok(!eval { $dbh->pg_putcopyend; 1 }, 'COPY with a bad value fails at the end');
	is($dbh->state, '22P02', 'COPY bad value: 22P02');
	is($dbh->selectrow_array('select count(*) from cp'), 3, 'the failed COPY loaded nothing');
});

is_deeply(\@warnings, [], "$target: no warnings from DBD::Pg (DEALLOCATE etc.)")
  or diag(join '', @warnings);
@warnings = ();
	return;
}

done_testing();
