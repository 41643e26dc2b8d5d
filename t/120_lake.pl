# DoLake: dosql-lake follows the router's change stream into Iceberg
# changelog tables of Parquet files, and engines nobody here wrote read
# them: DuckDB (read_parquet over the data files) and icebird (the Iceberg
# metadata, snapshots and manifests).  A workload of inserts, updates
# (one that changes a key), deletes and transactions over several shards
# runs while the sink is killed with SIGKILL at chosen points (after the
# Parquet files and before the commit, between two tables' commits, after
# the commits and before the slot confirmation) and at a moment of the
# test's choosing; each time it is started again.  The router restarts
# under it once; pgbench -i (its accounts spilling past maxBufferSize) and
# TPC-B run too.  At the end the latest
# change of every key equals the row the router has, every change the
# router streamed (pg_recvlogical on a slot of its own) is in the
# warehouse exactly once, and each file has the Parquet types of its
# PostgreSQL columns.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use HTTP::Tiny;
use DoSQL::Test::Cluster;
use DoSQL::Test::Npm;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency);
use DoSQL::Test::Lake;
use DoSQL::Test::Utils qw(run_command);

require_dependency(DoSQL::Test::Npm::unavailable());

my $c = DoSQL::Test::Cluster->new('lake',
	shards => 4,
	tables => {
		acct => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		ty => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		pgbench_accounts => { column_vindexes => [ { column => 'aid', name => 'hash' } ] },
		pgbench_branches => { column_vindexes => [ { column => 'bid', name => 'hash' } ] },
		pgbench_tellers => { column_vindexes => [ { column => 'bid', name => 'hash' } ] },
		pgbench_history => { column_vindexes => [ { column => 'bid', name => 'hash' } ] },
	});
$c->start;
my $router = $c->router;
$router->safe_psql('create table acct (id int primary key, bal bigint not null, note text)');
DoSQL::Test::Lake::create_types_table($router);

# the router's own account of every change, to compare with the warehouse
my $recvlogical = DoSQL::Test::ServerNode::pg_program('pg_recvlogical');
my @conn = ('-h', $router->host, '-p', $router->port, '-U', 'dosql', '-d', 'dosql');
my ($rc, $out, $err) = run_command([ $recvlogical, @conn, '-S', 'audit', '--create-slot', '-P', 'test_decoding' ]);
is($rc, 0, 'a test_decoding slot for the audit') or diag($err);

my $lake = DoSQL::Test::Lake->new($c,
	namespace => 'dosql',
	flushThresholdEvents => 40,
	flushThresholdMs => 300,
	flushIntervalMs => 100,
	parquetRowGroupSize => 25,
	maxBufferSize => 1048576,
	parquetCompression => 'zstd');
my $warehouse = $lake->warehouse;
my $http_port = $lake->http_port;
sub start_sink { $lake->start(@_); }
sub all_confirmed { $lake->all_confirmed(@_); }

my $next_id = 1;
sub insert_accounts
{
	my ($n) = @_;
	my @ids = ($next_id .. $next_id + $n - 1);
	$next_id += $n;
	# one statement over several shards: a two-phase transaction
	$router->safe_psql('insert into acct (id, bal, note) values '
		  . join(', ', map { "($_, " . ($_ * 10) . ", 'n$_')" } @ids));
}

# --- 1: inserts; the sink dies after writing Parquet files, before the commit
start_sink('lake-after-parquet');
insert_accounts(30) for 1 .. 3;
DoSQL::Test::Lake::insert_types($router);
ok($lake->node->wait_exit, 'the sink died after its Parquet files, before the commit');
start_sink(undef);
all_confirmed('after the restart');

# --- 2: updates, deletes and a transaction over several shards and both
# tables; the sink dies after the first table's commit of a flush
$lake->node->kill9;
start_sink('lake-after-table-commit');
$router->safe_psql('update acct set bal = bal + 1 where id % 3 = 0');
$router->safe_psql('delete from acct where id % 7 = 0');
$router->safe_psql(q{begin;
	update acct set bal = bal - 100, note = 'moved' where id = 1;
	update acct set bal = bal + 100 where id = 2;
	insert into ty (id, t, tz) values (4, 'two-phase', '2024-06-01 12:00:00+02');
	update ty set i2 = 8, js = '{"k": null}' where id = 2;
	delete from ty where id = 3;
	commit});
ok($lake->node->wait_exit, 'the sink died between two tables\' commits');
start_sink(undef);
all_confirmed('after the second restart');

# --- 3: a key that changes (the row moves to another shard: its DELETE and
# INSERT) and one that stays; the sink dies after its commits, before it
# confirms them
$lake->node->kill9;
start_sink('lake-before-confirm');
$router->safe_psql('update acct set id = 1000 where id = 5');
$router->safe_psql('update acct set id = 1001, note = null where id = 6');
insert_accounts(10);
ok($lake->node->wait_exit, 'the sink died after its commits, before confirming them');
start_sink(undef);

# --- 4: SIGKILL while the changes come
insert_accounts(5) for 1 .. 4;
$router->safe_psql('update acct set bal = 0 where id between 100 and 110');
$lake->node->kill9;
$router->safe_psql('delete from acct where id between 111 and 115');
start_sink(undef);
insert_accounts(3);
# the router restarts under the sink: it writes what it had whole and
# follows the stream again when the router is back
my $pos = $lake->node->log_position;
$router->restart;
ok($lake->node->wait_for_log(qr/dosql-lake: streaming/, $pos), 'the sink streams again after the router restarted')
  or diag($lake->node->log_tail);
insert_accounts(4);
# a column added at the source: a new schema, older files stay readable
$router->safe_psql('alter table acct add column extra int');
$router->safe_psql('insert into acct (id, bal, note, extra) values (2000, 1, null, 42), (2001, 2, \'x\', null)');
$router->safe_psql('update acct set extra = 7 where id = 1');
# pgbench: -i loads 100,000 accounts in one transaction; the sink is killed
# while it reads them; then TPC-B transactions, each over several shards
my $pgbench = "$DoSQL::Test::ServerNode::pg_bindir/pgbench";
my @pgb = ('-h', '127.0.0.1', '-p', $router->port, '-U', 'dosql', 'dosql');
# (its ALTER TABLE ... ADD PRIMARY KEY can meet a shard's slot update and
# get 40001, as a DDL statement can: pgbench -i is then run again)
my ($prc, $pout, $perr);
for (1 .. 5)
{
	($prc, $pout, $perr) = run_command([ $pgbench, '-i', '-s', '1', @pgb ], timeout => 300);
	last if $prc == 0 || $perr !~ /could not serialize access/;
	note("pgbench -i: $perr");
}
is($prc, 0, 'pgbench -i through the router') or diag("$pout\n$perr");
ok($lake->node->wait_for_log(qr/table pgbench_accounts: a transaction past maxBufferSize spills to a temporary file/),
	'the 100,000 accounts, past maxBufferSize (1 MiB), spill to a temporary file');
$lake->node->kill9;
start_sink(undef);
($prc, $pout, $perr) = run_command([ $pgbench, '-n', '-c', '4', '-j', '2', '-t', '50', '--max-tries', '100', @pgb ],
	timeout => 300);
is($prc, 0, 'pgbench TPC-B through the router') or diag("$pout\n$perr");
all_confirmed('at the end');

# the HTTP endpoint: status, a flush on request, Prometheus metrics
my $http = HTTP::Tiny->new(timeout => 30);
my $r = $http->post("http://127.0.0.1:$http_port/flush");
is($r->{status}, 200, 'POST /flush') or diag(explain($r));
$r = $http->get("http://127.0.0.1:$http_port/lake/status");
my $status = eval { decode_json($r->{content}) } // {};
is($status->{connectedSources}, 1, 'GET /lake/status: one source connected');
is($status->{bufferedEvents}, 0, 'GET /lake/status: nothing buffered after the flush');
like($status->{lastSnapshotLsn} // '', qr{^[0-9A-F]+/[0-9A-F]+$}, 'GET /lake/status: the last snapshot\'s LSN');
is($status->{confirmedLsn}, $status->{receivedLsn}, 'GET /lake/status: everything received is confirmed');
$r = $http->get("http://127.0.0.1:$http_port/metrics");
like($r->{content}, qr/^dolake_$_ \d+$/m, "GET /metrics: dolake_$_")
  for qw(buffer_size_bytes buffer_event_count flush_duration_ms parquet_file_size connected_sources snapshot_lag_ms);
like($r->{content}, qr/^dolake_connected_sources 1$/m, 'GET /metrics: one connected source');

# the router's stream: changes per table (a key-changing UPDATE is the old
# key's DELETE and the UPDATE in the warehouse)
my $end = (split /\|/, (run_command([ DoSQL::Test::ServerNode::pg_program('psql'), '-X', '-A', '-t', '-d',
				$router->connstr(replication => 'database'), '-c', 'IDENTIFY_SYSTEM' ]))[1])[2];
($rc, $out, $err) = run_command([ $recvlogical, @conn, '-S', 'audit', '--start', '-E', $end, '-f', '-', '--no-loop' ],
	timeout => 60);
my %changes;
for (split /\n/, $out)
{
	next unless /^table public\.(\w+): (INSERT|UPDATE|DELETE):/;
	$changes{$1}++;
	$changes{$1}++ if /old-key:/;
}
ok($changes{acct} > 100 && $changes{ty} > 4, "the router streamed $changes{acct} changes of acct, $changes{ty} of ty");

# --- the warehouse, read by DuckDB and icebird
my %format = (
	acct => [ 'id', 'bal', 'note', 'extra' ],
	ty => [ 'id', 'i2', 'i8', 'n', 'nu', 'f8', 't', 'vc', 'b', 'd', 'ts', 'tz', 'u', 'by', 'js' ],
);
# PostgreSQL's text and DuckDB's of the same value
sub pg_cols { my ($t) = @_; join(" || '|' || ", map { $_ eq 'by' ? "coalesce(\"by\"::text, 'NULL')" : $_ eq 'b' ? "coalesce(case when b then 'true' when not b then 'false' end, 'NULL')" : "coalesce(${_}::text, 'NULL')" } @{ $format{$t} }); }
sub duck_cols { my ($t) = @_; join(" || '|' || ", map { $_ eq 'by' ? "coalesce('\\x' || lower(hex(\"by\")), 'NULL')" : "coalesce(cast($_ as varchar), 'NULL')" } @{ $format{$t} }); }

sub glob_of { my ($t) = @_; return "'$warehouse/dosql/$t/data/*/*.parquet', hive_partitioning = false, union_by_name = true"; }
my @q;
for my $t (qw(acct ty))
{
	my $src = "read_parquet(" . glob_of($t) . ", filename = true)";
	push @q,
	  # the latest change of every key that was not deleted
	  "select " . duck_cols($t) . " as r from (select *, row_number() over (partition by id order by _lsn desc, _seq desc) as k"
	  . " from $src) where k = 1 and _op <> 'D' order by id",
	  "select count(*) as n, count(distinct (_lsn, _seq)) as d from $src",
	  # the files each transaction's rows are in
	  "select max(f) as most from (select _lsn, count(distinct filename) as f from $src group by _lsn)";
}
push @q, "select column_name, column_type from (describe select * from read_parquet(" . glob_of('ty') . "))";
push @q, "select distinct _op from read_parquet(" . glob_of('acct') . ") order by 1";
# pgbench's tables: the latest row of every key, summed, and the changes
my %pgkey = (pgbench_accounts => 'aid', pgbench_branches => 'bid', pgbench_tellers => 'tid');
my %pgbal = (pgbench_accounts => 'abalance', pgbench_branches => 'bbalance', pgbench_tellers => 'tbalance');
for my $t (sort keys %pgkey)
{
	push @q, "select count(*) || '|' || sum($pgbal{$t}) as r from (select *, row_number() over (partition by $pgkey{$t}"
	  . " order by _lsn desc, _seq desc) as k from read_parquet(" . glob_of($t) . ") where _op <> 'T') where k = 1 and _op <> 'D'",
	  "select count(*) as n from read_parquet(" . glob_of($t) . ") where _op <> 'T'";
}
push @q, "select count(*) || '|' || sum(delta) as r from read_parquet(" . glob_of('pgbench_history') . ") where _op = 'I'";
my $res = $lake->read({ duckdb => \@q, iceberg => [ map { "file://$warehouse/dosql/$_" } qw(acct ty) ] });

my $i = 0;
for my $t (qw(acct ty))
{
	my @want = split /\n/, $router->safe_psql("select " . pg_cols($t) . " from $t order by id");
	my @got = map { $_->{r} } @{ $res->{duckdb}[ $i++ ] };
	is_deeply(\@got, \@want, "DuckDB: the latest change of every key of $t is the router's row")
	  or diag(explain({ got => \@got, want => \@want }));
	my $counts = $res->{duckdb}[ $i++ ][0];
	is($counts->{n}, $changes{$t}, "DuckDB: $t holds every change the router streamed ($changes{$t}), none missing");
	ok(defined $counts->{d} && $counts->{d} eq $counts->{n}, "DuckDB: no change of $t is in the warehouse twice")
	  or diag(explain($counts));
	is($res->{duckdb}[ $i++ ][0]{most}, 1, "DuckDB: every transaction's rows of $t are in one file");
}
my %types = map { $_->{column_name} => $_->{column_type} } @{ $res->{duckdb}[ $i++ ] };
is_deeply(\%types, DoSQL::Test::Lake::parquet_types(),
	'each PostgreSQL type is read back as its Parquet logical type') or diag(explain(\%types));
is_deeply([ map { $_->{_op} } @{ $res->{duckdb}[ $i++ ] } ], [ 'D', 'I', 'U' ], 'acct has inserts, updates and deletes');
for my $t (sort keys %pgkey)
{
	is($res->{duckdb}[ $i++ ][0]{r}, $router->safe_psql("select count(*) || '|' || sum($pgbal{$t}) from $t"),
		"DuckDB: ${t}'s latest rows have the router's count and balance total");
	is($res->{duckdb}[ $i++ ][0]{n}, $changes{$t}, "DuckDB: $t holds every change the router streamed ($changes{$t})");
}
is($res->{duckdb}[ $i++ ][0]{r}, $router->safe_psql("select count(*) || '|' || sum(delta) from pgbench_history"),
	'DuckDB: pgbench_history (no primary key) holds every row the router has');

# icebird: the same rows through the table's metadata
my $j = 0;
for my $t (qw(acct ty))
{
	my $ice = $res->{iceberg}[ $j++ ] // {};
	my $rows = $ice->{rows} // [];
	is(scalar(@$rows), $changes{$t}, "icebird: ${t}'s current snapshot has every change once");
	my %latest;
	for my $r (sort { $a->{_lsn} <=> $b->{_lsn} || $a->{_seq} <=> $b->{_seq} } @$rows)
	{
		$latest{ $r->{id} } = $r;
	}
	my @live = sort { $a <=> $b } grep { $latest{$_}{_op} ne 'D' } keys %latest;
	is_deeply(\@live, [ split /\n/, $router->safe_psql("select id from $t order by id") ],
		"icebird: the keys of $t whose latest change is no DELETE are the router's");
	my $meta = $ice->{metadata} // {};
	my ($snap) = grep { $_->{'snapshot-id'} eq $meta->{'current-snapshot-id'} } @{ $meta->{snapshots} // [] };
	like($snap->{summary}{'dosql.lsn'} // '', qr/^[1-9]\d*$/, "icebird: ${t}'s snapshot records dosql.lsn");
	is($meta->{'format-version'}, 2, "icebird: $t is an Iceberg v2 table");
	next unless $t eq 'acct';
	my ($schema) = grep { $_->{'schema-id'} == $meta->{'current-schema-id'} } @{ $meta->{schemas} // [] };
	is(scalar(@{ $meta->{schemas} // [] }), 2, 'icebird: ADD COLUMN gave acct a second schema');
	is_deeply([ map { $_->{name} } @{ $schema->{fields} // [] } ], [qw(_op _lsn _seq _commit_ts _xid id bal note extra)],
		'icebird: the current schema has the new column last');
	my ($r1) = grep { $_->{id} == 1 && $_->{_op} eq 'U' && defined $_->{extra} } @$rows;
	is($r1->{extra}, 7, 'icebird: the new column\'s value, read through the new schema');
}

$lake->node->stop;
$c->stop;
is($_->sanitizer_report, '', $_->name . ': no sanitizer reports') for $lake->node, $c->router, $c->shards;
done_testing();
