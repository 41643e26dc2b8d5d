package DoSQL::Test::LakeCompact;

=pod

=head1 NAME

DoSQL::Test::LakeCompact - the checks of DoLake's compaction and snapshot expiry, on a local or an S3 warehouse

=head1 SYNOPSIS

  DoSQL::Test::LakeCompact::run(name => 'lakec');
  DoSQL::Test::LakeCompact::run(name => 'lakecs3', s3 => $s3,
	sink => [ warehouse => 's3://lake/wh', s3 => $s3->{settings} ],
	mirror => [ warehouse => 's3://lake/whm', s3 => $s3->{settings} ]);

Many small flushes make many small files in a changelog table; POST
/compact rewrites them as one file in a C<replace> snapshot that keeps
dosql.lsn, and icebird and DuckDB read exactly the same changes as before
(the router's rows as the latest change of each key); POST /expire then
removes the old snapshots and the files only they used.  A sink killed
during a compaction (after writing the new file, before the commit) and
started again leaves no file behind, loses and duplicates nothing.  A
second sink does the same in mirror mode, and is killed in an expiry
(after its commit, before it deletes the files).  With C<s3> (from
C<DoSQL::Test::Lake::start_s3>, bucket C<lake>) the sinks' warehouses are
given in C<sink> and C<mirror>; the objects are listed and read through
the S3 API and downloaded into the cluster's directory for DuckDB and icebird.

=cut

use strict;
use warnings;
use File::Path ();
use HTTP::Tiny;
use JSON::PP;
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::Lake;

my ($s3, $dl, $c, $router, $lake, $mirror, $mtable, $w, $table, $http, $url, $murl);
# changes made, each a row of the changelog
my $changes = 0;
my $next = 1;

# the table ev of a sink's warehouse, as its metadata names it
sub table_url
{
	my ($l) = @_;
	my $wh = $l->warehouse;
	return ($wh =~ m{^s3://} ? $wh : "file://$wh") . '/dosql/ev';
}

sub insert_rows
{
	my ($n) = @_;
	my @ids = ($next .. $next + $n - 1);
	$next += $n;
	$router->safe_psql('insert into ev values '
		  . join(', ', map { "($_, 'v$_', $_.25, '2024-05-0" . ($_ % 9 + 1) . " 12:00:00+00', " . ($_ % 2 ? 'true' : 'false') . ')' } @ids));
	$changes += $n;
}

# the data files on disk, and the live files, rows and snapshot of the table
sub disk_files
{
	return sort glob("$w/dosql/ev/data/*/*.parquet") unless $s3;
	return sort map { "$dl/$_" } DoSQL::Test::Lake::s3_keys($s3, 'wh/dosql/ev/data/');
}

# whether the file at path (on S3: of the download directory) is there
sub present
{
	my ($path) = @_;
	return -e $path unless $s3;
	(my $key = $path) =~ s{^\Q$dl\E/}{};
	return (DoSQL::Test::Lake::s3_request($s3, 'HEAD', $key))[0] == 200;
}

# $l->read($spec); on S3 over the objects downloaded again unless $again
sub lake_read
{
	my ($l, $spec, $again) = @_;
	if ($s3)
	{
		unless ($again)
		{
			# the objects of this sink's warehouse (s3://lake/<prefix>)
			(my $prefix = $l->warehouse) =~ s{^s3://[^/]+/}{};
			File::Path::remove_tree($dl);
			DoSQL::Test::Lake::s3_download($s3, $dl, "$prefix/");
		}
		$spec->{s3} = { bucket => $s3->{bucket}, dir => $dl };
	}
	return $l->read($spec);
}

sub row_text
{
	my ($r) = @_;
	return join('|', map { "$_=" . ($r->{$_} // 'NULL') } sort keys %$r);
}

sub read_table
{
	my $res = lake_read($lake, { iceberg => [$table], files => [$table] });
	my $files = $res->{files}[0] // [];
	my $list = join(', ', map { "'$_'" } @$files);
	my $latest = @$files ? lake_read($lake, { duckdb => [
		qq{select cast(id as varchar) || '|' || v || '|' || cast(n as varchar) || '|' || coalesce(cast(tm as varchar), 'NULL') || '|' || coalesce(cast(ok as varchar), 'NULL') as r
		   from (select *, row_number() over (partition by id order by _lsn desc, _seq desc) as k
		         from read_parquet([$list], hive_partitioning = false, union_by_name = true))
		   where k = 1 and _op <> 'D' order by id},
		qq{select count(*) as c, count(distinct (_lsn, _seq)) as d from read_parquet([$list], hive_partitioning = false, union_by_name = true)} ] }, 1)
	  : { duckdb => [ [], [ { c => 0, d => 0 } ] ] };
	my $ice = $res->{iceberg}[0] // {};
	return {
		files => $files,
		changes => [ sort map { row_text($_) } @{ $ice->{rows} // [] } ],
		metadata => $ice->{metadata} // {},
		latest => [ map { $_->{r} } @{ $latest->{duckdb}[0] // [] } ],
		count => $latest->{duckdb}[1][0] // {},
	};
}

sub router_rows
{
	return [ split /\n/, $router->safe_psql(q{select id || '|' || v || '|' || n || '|' || coalesce(to_char(tm at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00', 'NULL') || '|' || coalesce(ok::text, 'NULL') from ev order by id}) ];
}

sub current_snapshot
{
	my ($meta) = @_;
	my ($s) = grep { $_->{'snapshot-id'} == ($meta->{'current-snapshot-id'} // -1) } @{ $meta->{snapshots} // [] };
	return $s // {};
}

sub post
{
	my ($path, $base) = @_;
	my $r = $http->post(($base // $url) . $path);
	is($r->{status}, 200, "POST $path") or diag(explain($r));
	return eval { decode_json($r->{content}) } // {};
}

# the mirror table: DuckDB applying the equality deletes, icebird's keys, the live files
sub read_mirror
{
	my $res = lake_read($mirror, { iceberg => [$mtable], files => [$mtable], deletes => [$mtable], mirror => [ { table => $mtable, key => 'id',
		select => q{cast(d.id as varchar) || '|' || d.v || '|' || cast(d.n as varchar) || '|' || coalesce(cast(d.tm as varchar), 'NULL') || '|' || coalesce(cast(d.ok as varchar), 'NULL')} } ] });
	return {
		files => $res->{files}[0] // [],
		deletes => $res->{deletes}[0] // [],
		rows => [ map { $_->{r} } @{ $res->{mirror}[0] // [] } ],
		ids => [ sort { $a <=> $b } map { $_->{id} } @{ $res->{iceberg}[0]{rows} // [] } ],
	};
}

sub router_ids { return [ split /\n/, $router->safe_psql('select id from ev order by id') ]; }

sub run
{
	my (%opt) = @_;
	$s3 = $opt{s3};
	$c = DoSQL::Test::Cluster->new($opt{name},
		shards => 2,
		tables => { ev => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
	$c->start;
	$dl = $c->basedir . '/s3copy';
	$router = $c->router;
	$router->safe_psql('create table ev (id int primary key, v text, n numeric(10,2), tm timestamptz, ok boolean)');

	$lake = DoSQL::Test::Lake->new($c, @{ $opt{sink} // [] }, flushThresholdEvents => 2, flushThresholdMs => 200, flushIntervalMs => 100,
		minFilesThreshold => 4, minPartitionAgeMs => 0, compactionIntervalMs => 0, snapshotRetentionMs => 0,
		minSnapshotsToKeep => 1);
	my $sink = $lake->node;
	# a second sink, in mirror mode, follows the same table
	$mirror = DoSQL::Test::Lake->new($c, @{ $opt{mirror} // [] }, node_name => 'mirror', slot => 'dolake_m', mode => 'mirror',
		flushThresholdEvents => 2, flushThresholdMs => 200, flushIntervalMs => 100, minFilesThreshold => 4,
		minPartitionAgeMs => 0, compactionIntervalMs => 0, snapshotRetentionMs => 0);
	$mtable = table_url($mirror);
	$murl = 'http://127.0.0.1:' . $mirror->http_port;
	$w = $lake->warehouse;
	$table = table_url($lake);
	$http = HTTP::Tiny->new(timeout => 60);
	$url = 'http://127.0.0.1:' . $lake->http_port;

	$lake->start(undef);
	$mirror->start(undef);
	insert_rows(2) for 1 .. 8;
	$router->safe_psql(q{update ev set v = 'updated', ok = null where id % 3 = 0});
	$changes += 5;
	$router->safe_psql(q{delete from ev where id in (2, 7)});
	$changes += 2;
	insert_rows(3) for 1 .. 3;
	$lake->all_confirmed('after the small flushes');

	my $before = read_table();
	my $nbefore = @{ $before->{files} };
	cmp_ok($nbefore, '>=', 8, "$nbefore small files before the compaction");
	is(scalar(@{ $before->{changes} }), $changes, "icebird reads the $changes changes before the compaction");
	is_deeply($before->{latest}, router_rows(), 'DuckDB: the latest change of each key is the router\'s row');
	my $lsn_before = current_snapshot($before->{metadata})->{summary}{'dosql.lsn'};

	my $res = post('/compact');
	is($res->{filesReplaced}, $nbefore, 'every small file was rewritten') or diag(explain($res));
	is($res->{filesWritten}, 1, 'into one file (far below targetFileSizeBytes)');
	is($res->{rowsRewritten}, $changes, 'with every row');

	my $st = eval { decode_json($http->get("$url/lake/status")->{content}) } // {};
	is($st->{maintenance}{filesReplaced}, $nbefore, 'GET /lake/status counts the files compaction replaced');
	my $metrics = $http->get("$url/metrics")->{content} // '';
	like($metrics, qr/^dolake_compacted_files_total $nbefore$/m, 'GET /metrics: dolake_compacted_files_total');
	like($metrics, qr/^dolake_compactions_total 1$/m, 'GET /metrics: dolake_compactions_total');
	my $after = read_table();
	is(scalar(@{ $after->{files} }), 1, 'the current snapshot has one data file');
	my $snap = current_snapshot($after->{metadata});
	is($snap->{summary}{operation}, 'replace', 'the compaction is a replace snapshot');
	is($snap->{summary}{'dosql.lsn'}, $lsn_before, 'which keeps dosql.lsn');
	is($snap->{summary}{'deleted-data-files'}, $nbefore, 'its summary counts the files it replaced');
	is_deeply($after->{changes}, $before->{changes}, 'icebird reads the same changes after the compaction');
	is_deeply($after->{latest}, router_rows(), 'DuckDB over the compacted file: the router\'s rows');
	is($after->{count}{c}, $changes, 'each change once') or diag(explain($after->{count}));
	is($after->{count}{d}, $changes, 'no (lsn, seq) twice');
	ok(present($before->{files}[0]), 'the replaced files stay until their snapshots expire');

	$res = post('/expire');
	cmp_ok($res->{snapshotsExpired}, '>', 0, "$res->{snapshotsExpired} snapshots expired");
	cmp_ok($res->{filesDeleted}, '>=', $nbefore, "$res->{filesDeleted} files deleted");
	is(scalar(grep { present($_) } @{ $before->{files} }), 0, 'none of the replaced data files is left');
	is_deeply([ disk_files() ], $after->{files}, 'the data directory holds the current snapshot\'s file only');
	my $expired = read_table();
	is(scalar(@{ $expired->{metadata}{snapshots} // [] }), 1, 'the metadata keeps the current snapshot');
	is_deeply($expired->{changes}, $before->{changes}, 'icebird reads the same changes after the expiry');
	$metrics = $http->get("$url/metrics")->{content} // '';
	like($metrics, qr/^dolake_expired_snapshots_total $res->{snapshotsExpired}$/m, 'GET /metrics: dolake_expired_snapshots_total');
	my @lists = $s3 ? DoSQL::Test::Lake::s3_keys($s3, 'wh/dosql/ev/metadata/snap-') : glob("$w/dosql/ev/metadata/snap-*.avro");
	is(scalar(@lists), 1, 'one manifest list is left');

	# a sink killed after writing the compacted file, before its commit
	insert_rows(2) for 1 .. 6;
	$lake->all_confirmed('after more small flushes');
	my $mid = read_table();
	cmp_ok(scalar(@{ $mid->{files} }), '>=', 5, scalar(@{ $mid->{files} }) . ' files before the second compaction');
	$sink->kill9;
	$lake->start('lake-compact-after-parquet');
	my $r = $http->post("$url/compact");
	isnt($r->{status}, 200, 'the sink dies in the compaction, after its Parquet file');
	ok($sink->wait_exit, 'the sink is gone');
	my @disk = disk_files();
	cmp_ok(scalar(@disk), '>', scalar(@{ $mid->{files} }), 'the new file was written');
	$lake->start(undef);
	insert_rows(2);
	$router->safe_psql(q{update ev set n = 0 where id = 1});
	$changes += 1;
	$lake->all_confirmed('after the restart');
	my $restarted = read_table();
	is_deeply([ disk_files() ], $restarted->{files}, 'the file of the compaction that did not commit is gone');
	$res = post('/compact');
	is($res->{filesReplaced}, scalar(@{ $restarted->{files} }), 'the compaction runs again, over every small file')
	  or diag(explain($res));
	my $final = read_table();
	is(scalar(@{ $final->{files} }), 1, 'one file again');
	is(scalar(@{ $final->{changes} }), $changes, "icebird reads all $changes changes");
	is($final->{count}{c}, $changes, 'DuckDB: each change once');
	is($final->{count}{d}, $changes, 'DuckDB: no (lsn, seq) twice');
	is_deeply($final->{latest}, router_rows(), 'DuckDB: the router\'s rows at the end');

	# on the schedule: compaction and expiry every compactionIntervalMs
	$sink->stop;
	$lake->configure(compactionIntervalMs => 300);
	$lake->start(undef);
	my $pos = $sink->log_position;
	insert_rows(2) for 1 .. 5;
	ok($sink->wait_for_log(qr/dosql-lake: compacted \d+ files into 1, expired \d+ snapshots/, $pos),
		'the sink compacts and expires on its schedule') or diag($sink->log_tail);
	$lake->all_confirmed('after the scheduled compaction');
	my $scheduled = read_table();
	cmp_ok(scalar(@{ $scheduled->{files} }), '<', 5, scalar(@{ $scheduled->{files} }) . ' files after it');
	is_deeply([ disk_files() ], $scheduled->{files}, 'the files it replaced are gone');
	is($scheduled->{count}{c}, $changes, 'DuckDB: each change once');
	is($scheduled->{count}{d}, $changes, 'DuckDB: no (lsn, seq) twice');
	is_deeply($scheduled->{latest}, router_rows(), 'DuckDB: the router\'s rows');

	# the mirror table: the equality deletes of larger sequence numbers are
	# applied to the rows rewritten, so readers see the same rows
	$mirror->all_confirmed('mirror');
	my $mb = read_mirror();
	is_deeply($mb->{rows}, router_rows(), 'mirror: DuckDB applying the deletes reads the router\'s rows');
	cmp_ok(scalar(@{ $mb->{files} }), '>=', 8, scalar(@{ $mb->{files} }) . ' data files in the mirror table');
	$res = post('/compact', $murl);
	is($res->{filesReplaced}, scalar(@{ $mb->{files} }), 'mirror: every small data file was rewritten') or diag(explain($res));
	cmp_ok($res->{rowsRewritten}, '>', scalar(@{ router_ids() }), 'mirror: rows of older images were among them');
	cmp_ok(scalar(@{ $mb->{deletes} }), '>', 0, scalar(@{ $mb->{deletes} }) . ' delete files before the compaction');
	is($res->{deleteFilesRemoved}, scalar(@{ $mb->{deletes} }),
		'mirror: the delete files, which apply to no data file left, are removed');
	my $ma = read_mirror();
	is(scalar(@{ $ma->{files} }), 1, 'mirror: one data file after the compaction');
	is(scalar(@{ $ma->{deletes} }), 0, 'mirror: and no delete file');
	is_deeply($ma->{rows}, router_rows(), 'mirror: DuckDB reads the router\'s rows after the compaction');
	is_deeply($ma->{ids}, router_ids(), 'mirror: icebird reads the router\'s keys, each once');
	# deletes and updates after the compaction apply to the compacted file
	$router->safe_psql(q{update ev set v = 'after' where id in (1, 4)});
	$router->safe_psql(q{delete from ev where id = 5});
	$router->safe_psql(q{insert into ev values (5, 'back', 5.5, null, null)});
	$router->safe_psql(q{delete from ev where id = 6});
	$mirror->all_confirmed('mirror: after changes that follow the compaction');
	$ma = read_mirror();
	is_deeply($ma->{rows}, router_rows(), 'mirror: later updates and deletes apply to the compacted file');
	is_deeply($ma->{ids}, router_ids(), 'mirror: icebird agrees');
	# a sink killed after the expiry's commit, before it deleted the files
	my $mnode = $mirror->node;
	$mnode->kill9;
	$mirror->start('lake-expire-after-commit');
	my $er = $http->post("$murl/expire");
	isnt($er->{status}, 200, 'mirror: the sink dies in the expiry, after its commit');
	ok($mnode->wait_exit, 'mirror: the sink is gone');
	cmp_ok(scalar(grep { present($_) } @{ $mb->{files} }), '>', 0, 'mirror: the replaced files were not deleted yet');
	$mirror->start(undef);
	$res = post('/expire', $murl);
	cmp_ok($res->{filesDeleted}, '>=', scalar(@{ $mb->{files} }), 'mirror: the next expiry deletes them');
	is(scalar(grep { present($_) } @{ $mb->{files} }, @{ $mb->{deletes} }), 0, 'mirror: none of them is left, nor the delete files');
	$ma = read_mirror();
	is_deeply($ma->{rows}, router_rows(), 'mirror: the router\'s rows after the expiry');

	$sink->stop;
	$mnode->stop;
	$c->stop;
	is($_->sanitizer_report, '', $_->name . ': no sanitizer reports') for $sink, $mirror->node, $c->router, $c->shards;
	return $c;
}

1;
