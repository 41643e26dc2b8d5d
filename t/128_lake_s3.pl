# DoLake on S3-compatible storage: dosql-lake writes its warehouse to
# s3rver (npm, started here on a loopback port; it checks each request's
# AWS Signature Version 4 and ignores If-None-Match on PUT, so the sink
# commits under a lock object).  A workload of inserts, updates, deletes,
# a key that moves between shards, two-phase transactions and a TRUNCATE
# runs through the router (with rows of every common type, t/120's table
# ty) while the sink is killed with SIGKILL at its
# crash points (after the Parquet files and before the commit, between
# two tables' commits, after the commits and before the confirmation) and
# at a moment of the test's choosing.  A version of the table made by
# another writer (a pre-made vN+1) is never replaced: the sink's commit
# of that version fails, and it reads the table again and commits after
# it, without a restart.  Then
# the objects are downloaded through the S3 API and read by DuckDB (over
# the data files of the current snapshot, and over every data file) and
# icebird (the Iceberg metadata): the latest change of each key equals the
# router's row, no change is there twice, and each column has the Parquet
# logical type of its PostgreSQL type.  Last, three processes race to make
# the same versions of a table through the store (t/unit/test_lake_store),
# under the lock on s3rver and with conditional PUTs on s3rver made to
# honour If-None-Match: each version is made by exactly one; and of two
# writers of a table, the one that lost a version commits after the other.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use DoSQL::Test::Cluster;
use DoSQL::Test::Npm;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency);
use DoSQL::Test::Lake;
use DoSQL::Test::Utils qw(run_command slurp_file);

require_dependency(DoSQL::Test::Npm::unavailable());
require_dependency((eval { (run_command([ 'curl', '--version' ]))[0] } // 1) == 0 ? undef : 'curl is not installed');

my $s3 = DoSQL::Test::Lake::start_s3('lakes3_s3rver', 'lake');
my ($st, $body) = DoSQL::Test::Lake::s3_request($s3, 'GET', '', undef, 'list-type=2');
is($st, 200, 's3rver answers a signed ListObjectsV2') or diag($body);

my $c = DoSQL::Test::Cluster->new('lakes3',
	shards => 4,
	tables => {
		acct => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		tr => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		ty => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
	});
$c->start;
my $router = $c->router;
$router->safe_psql('create table acct (id int primary key, bal bigint not null, note text, at timestamptz)');
$router->safe_psql('create table tr (id int primary key, v text)');
DoSQL::Test::Lake::create_types_table($router);

my $lake = DoSQL::Test::Lake->new($c, warehouse => 's3://lake/wh/', s3 => $s3->{settings},
	flushThresholdEvents => 30, flushThresholdMs => 300, flushIntervalMs => 100, parquetCompression => 'zstd');
my $sink = $lake->node;

# the versions N of table's vN.metadata.json
sub versions
{
	my ($table) = @_;
	my ($status, $xml) = DoSQL::Test::Lake::s3_request($s3, 'GET', '', undef,
		"list-type=2&prefix=wh%2Fdosql%2F$table%2Fmetadata%2Fv");
	return sort { $a <=> $b } $xml =~ m{<Key>wh/dosql/$table/metadata/v(\d+)\.metadata\.json</Key>}g;
}
# another writer's version: vN+1 of acct made while the sink holds vN
sub lost_race
{
	my ($insert) = @_;
	DoSQL::Test::Lake::insert_types($router);
	$lake->all_confirmed('rows of every type');
	my @v = versions('acct');
	ok(@v >= 2, 'acct has versions ' . join(', ', @v));
	my $n = $v[-1];
	my ($st, $body) = DoSQL::Test::Lake::s3_request($s3, 'GET', "wh/dosql/acct/metadata/v$n.metadata.json");
	is($st, 200, "v$n.metadata.json read through the S3 API");
	my $meta = eval { decode_json($body) } // {};
	like($meta->{location} // '', qr{^s3://lake/wh/dosql/acct$}, 'the table location is an s3:// URI');
	my ($snap) = grep { $_->{'snapshot-id'} == ($meta->{'current-snapshot-id'} // -1) } @{ $meta->{snapshots} // [] };
	like($snap->{'manifest-list'} // '', qr{^s3://lake/wh/dosql/acct/metadata/snap-}, 'the manifest list is an s3:// URI');
	$meta->{properties}{'dosql.test'} = 'made by another writer';
	my $premade = encode_json($meta);
	my $v_next = $n + 1;
	($st) = DoSQL::Test::Lake::s3_request($s3, 'PUT', "wh/dosql/acct/metadata/v$v_next.metadata.json", $premade);
	is($st, 200, "another writer made v$v_next.metadata.json");
	my $pos = $sink->log_position;
	$insert->(4);
	ok($sink->wait_for_log(qr{v$v_next\.metadata\.json: another writer made this version first; reading the table again to commit after it},
		$pos), 'the sink finds that another writer made that version first, and reads the table again') or diag($sink->log_tail);
	$lake->all_confirmed('after the lost race');
	ok($sink->is_running, 'the sink is still running: it committed after the other writer without a restart');
	($st, $body) = DoSQL::Test::Lake::s3_request($s3, 'GET', "wh/dosql/acct/metadata/v$v_next.metadata.json");
	is($body, $premade, "the other writer's v$v_next is still there, unchanged");
	@v = versions('acct');
	ok($v[-1] > $v_next, "the sink committed after the other writer's version (now v$v[-1])");
	($st, $body) = DoSQL::Test::Lake::s3_request($s3, 'GET', "wh/dosql/acct/metadata/v$v[-1].metadata.json");
	my $after = eval { decode_json($body) } // {};
	is($after->{properties}{'dosql.test'}, 'made by another writer', "v$v[-1] follows the other writer's version (its property is kept)");
	is(($after->{'metadata-log'} // [])->[-1]{'metadata-file'}, "s3://lake/wh/dosql/acct/metadata/v" . ($v[-1] - 1) . '.metadata.json',
		'and logs the version before it');
}
$lake->crash_workload($router, \&lost_race);
like(slurp_file($sink->logfile), qr{s3://lake/wh commits with a lock object},
	'the sink found that s3rver ignores If-None-Match on PUT and commits under a lock');

my $local = $c->basedir . '/s3copy';
my $copied = DoSQL::Test::Lake::s3_download($s3, $local);
ok($copied > 10, "$copied objects downloaded through the S3 API");
is_deeply([ glob("$local/wh/dosql/*/metadata/inflight*") ], [], 'no commit is left unfinished');
is_deeply([ glob("$local/wh/dosql/acct/metadata/lock-*") ], [], 'no lock object is left');

my $cols = { acct => q{coalesce(cast(d.id as varchar), '') || '|' || coalesce(cast(d.bal as varchar), 'NULL') || '|' || coalesce(d.note, 'NULL') || '|' || coalesce(cast(d.at as varchar), 'NULL')},
	tr => q{coalesce(cast(d.id as varchar), '') || '|' || coalesce(d.v, 'NULL')} };
my @tables = qw(acct tr);
my $all = sub {
	my ($t) = @_;
	return qq{select _op, cast(_lsn as varchar) as lsn, _seq, $cols->{$t} as r from read_parquet('$local/wh/dosql/$t/data/*/*.parquet', hive_partitioning = false, union_by_name = true) d};
};
my $res = $lake->read({
	s3 => { bucket => 'lake', dir => $local },
	iceberg => [ map { "s3://lake/wh/dosql/$_" } @tables, 'ty' ],
	mirror => [ map { { table => "s3://lake/wh/dosql/$_", key => 'id',
		select => qq{d._op || '|' || cast(d._lsn as varchar) || '|' || cast(d._seq as varchar) || '|' || $cols->{$_}} } } @tables ],
	duckdb => [ (map { $all->($_) } @tables),
		"select column_name, column_type from (describe select * from read_parquet('$local/wh/dosql/ty/data/*/*.parquet', hive_partitioning = false))",
		"select _op, id from read_parquet('$local/wh/dosql/ty/data/*/*.parquet') order by id" ],
});

# the latest change of each key (by _lsn, _seq) unless a DELETE; a
# TRUNCATE (T) ends every row before it
sub latest
{
	my (@changes) = @_;    # [op, lsn, seq, row]
	my %last;
	for my $ch (sort { $a->[1] <=> $b->[1] || $a->[2] <=> $b->[2] } @changes)
	{
		%last = () if $ch->[0] eq 'T';
		next if $ch->[0] eq 'T';
		my ($id) = split /\|/, $ch->[3];
		$last{$id} = $ch;
	}
	return [ map { $_->[3] } sort { (split /\|/, $a->[3])[0] <=> (split /\|/, $b->[3])[0] }
		  grep { $_->[0] ne 'D' } values %last ];
}
my %want = (
	acct => [ split /\n/, $router->safe_psql(q{select id || '|' || bal || '|' || coalesce(note, 'NULL') || '|' || coalesce(to_char(at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00', 'NULL') from acct order by id}) ],
	tr => [ split /\n/, $router->safe_psql(q{select id || '|' || v from tr order by id}) ],
);
ok(@{ $want{acct} } > 50, scalar(@{ $want{acct} }) . ' rows of acct at the router');
for my $i (0 .. $#tables)
{
	my $t = $tables[$i];
	my @snap = map { [ split(/\|/, $_->{r}, 4) ] } @{ $res->{mirror}[$i] // [] };
	my @every = map { [ $_->{_op}, $_->{lsn}, $_->{_seq}, $_->{r} ] } @{ $res->{duckdb}[$i] // [] };
	is_deeply(latest(@snap), $want{$t}, "DuckDB over the current snapshot's files: the latest change of each key of $t is the router's row")
	  or diag(explain({ got => latest(@snap), want => $want{$t} }));
	is_deeply(latest(@every), $want{$t}, "DuckDB over every data file: the same rows of $t");
	my %seen;
	my @twice = grep { $seen{"$_->[1]/$_->[2]"}++ } @every;
	is(scalar(@twice), 0, "$t: no change is in the warehouse twice") or diag(explain(\@twice));
	is(scalar(@every), scalar(@snap), "$t: every data file is in the current snapshot");
	my $ice = $res->{iceberg}[$i] // {};
	is(scalar(@{ $ice->{rows} // [] }), scalar(@snap), "icebird reads the $t snapshot's " . scalar(@snap) . ' changes');
	my %ice_rows = map { ("$_->{_lsn}/$_->{_seq}" => 1) } @{ $ice->{rows} // [] };
	is_deeply([ sort keys %ice_rows ], [ sort map { "$_->[1]/$_->[2]" } @snap ], "icebird: the same changes of $t as DuckDB");
}

my %types = map { $_->{column_name} => $_->{column_type} } @{ $res->{duckdb}[2] // [] };
is_deeply(\%types, DoSQL::Test::Lake::parquet_types(),
	'each PostgreSQL type is read back from S3 as its Parquet logical type') or diag(explain(\%types));
is_deeply([ map { "$_->{_op}$_->{id}" } @{ $res->{duckdb}[3] // [] } ], [ 'I1', 'I2', 'I3' ], 'DuckDB: the rows of ty, once each');
is_deeply([ sort map { $_->{id} } @{ $res->{iceberg}[2]{rows} // [] } ], [ 1, 2, 3 ], 'icebird: the rows of ty');

# writers in several processes racing to make the same versions of one
# table (t/unit/test_lake_store.c): each version is made by exactly one,
# under the lock on s3rver, and by conditional PUTs on a server that
# honours If-None-Match as AWS S3 does
my $s3c = DoSQL::Test::Lake::start_s3('lakes3_s3rver_conditional', 'lake', 'conditional');
for my $server ([ $s3, 'lock' ], [ $s3c, 'conditional' ])
{
	my ($srv, $method) = @$server;
	my $unit = "$DoSQL::Test::ServerNode::bindir/../t/unit/test_lake_store";
	my ($rc, $out, $err) = run_command([$unit], timeout => 300,
		env => { DOSQL_TEST_S3_ENDPOINT => $srv->{endpoint}, DOSQL_TEST_S3_WAREHOUSE => 's3://lake/unit' });
	is($rc, 0, "the store unit tests pass against s3rver ($method)") or diag("$out$err");
	like($out, qr/^# commit method: $method$/m, "the store found the commit method $method");
	like($out, qr/^ok \d+ - S3 race: each of \d+ versions was made by exactly one of \d+ racers$/m,
		"racing writers: each version made by exactly one ($method)");
	like($out, qr/^ok \d+ - S3: b's commit is v3, after a's v2$/m,
		"a table's writer that lost a version commits after the winner's ($method)");
}
$s3c->{node}->stop;

$sink->stop;
$c->stop;
$s3->{node}->stop;
is($_->sanitizer_report, '', $_->name . ': no sanitizer reports') for $sink, $c->router, $c->shards;
done_testing();
