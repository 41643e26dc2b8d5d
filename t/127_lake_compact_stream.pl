# DoLake's compaction runs on a thread of its own while the stream flows.
# Two sinks follow one table (changelog and mirror); each is asked to
# compact and its compaction is held before its commit (DOSQL_LAKE_PAUSE,
# test build) while inserts, updates and deletes through the router are
# flushed and confirmed: the sinks keep streaming with a compaction under
# way.  Then the compactions go on: each lost its commit to the flushes,
# is made again on their version and keeps their dosql.lsn; DuckDB and
# icebird read every change once (changelog) and the router's rows (mirror,
# the flushes' equality deletes applying to the rewritten rows).  Later
# flushes commit after the compaction.  All of it twice: on a local
# warehouse, and on s3rver (where the flushes and the maintenance thread
# commit under lock objects of their own).
use strict;
use warnings;
use lib 't/lib';
use File::Path ();
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::Deps qw(require_dependency);
use DoSQL::Test::Lake;
use DoSQL::Test::Npm;
use DoSQL::Test::Utils qw(poll_until write_file);

require_dependency(DoSQL::Test::Npm::unavailable());

my ($c, $router, $log, $mir, $s3, %pause);
my $http = HTTP::Tiny->new(timeout => 60);
sub url { my ($l, $path) = @_; return 'http://127.0.0.1:' . $l->http_port . $path; }
sub table { my ($l) = @_; return ($s3 ? '' : 'file://') . $l->warehouse . '/dosql/ev'; }
sub status { my ($l) = @_; return eval { decode_json($http->get(url($l, '/lake/status'))->{content}) } // {}; }

# $l->read($spec), on S3 over the sink's objects downloaded first
sub lake_read
{
	my ($l, $spec) = @_;
	if ($s3)
	{
		my $dl = $c->basedir . '/s3copy';
		(my $prefix = $l->warehouse) =~ s{^s3://[^/]+/}{};
		File::Path::remove_tree($dl);
		DoSQL::Test::Lake::s3_download($s3, $dl, "$prefix/");
		$spec->{s3} = { bucket => $s3->{bucket}, dir => $dl };
	}
	return $l->read($spec);
}

my ($next, $changes);
sub insert_rows
{
	my ($n) = @_;
	$router->safe_psql('insert into ev values ' . join(', ', map { "($_, 'v$_', $_)" } $next .. $next + $n - 1));
	$next += $n;
	$changes += $n;
}

sub router_rows { return [ split /\n/, $router->safe_psql(q{select id || '|' || v || '|' || n from ev order by id}) ]; }

# the changelog table: its files, the metadata, the latest change per key and the count of changes
sub read_changelog
{
	my $t = table($log);
	my $res = lake_read($log, { files => [$t], iceberg => [$t] });
	my $list = join(', ', map { "'$_'" } @{ $res->{files}[0] // [] });
	my $q = $log->read({ duckdb => [
		qq{select cast(id as varchar) || '|' || v || '|' || cast(n as varchar) as r from (select *, row_number() over
		   (partition by id order by _lsn desc, _seq desc) as k from read_parquet([$list], union_by_name = true))
		   where k = 1 and _op <> 'D' order by id},
		qq{select count(*) as c, count(distinct (_lsn, _seq)) as d from read_parquet([$list], union_by_name = true)} ] });
	return { files => $res->{files}[0] // [], meta => $res->{iceberg}[0]{metadata} // {},
		changes => scalar(@{ $res->{iceberg}[0]{rows} // [] }), latest => [ map { $_->{r} } @{ $q->{duckdb}[0] // [] } ],
		count => $q->{duckdb}[1][0] // {} };
}

sub read_mirror
{
	my $t = table($mir);
	my $res = lake_read($mir, { files => [$t], iceberg => [$t], mirror => [ { table => $t, key => 'id',
		select => q{cast(d.id as varchar) || '|' || d.v || '|' || cast(d.n as varchar)} } ] });
	return { files => $res->{files}[0] // [], meta => $res->{iceberg}[0]{metadata} // {},
		rows => [ map { $_->{r} } @{ $res->{mirror}[0] // [] } ],
		ids => [ sort { $a <=> $b } map { $_->{id} } @{ $res->{iceberg}[0]{rows} // [] } ] };
}

sub current
{
	my ($meta) = @_;
	my %by = map { $_->{'snapshot-id'} => $_ } @{ $meta->{snapshots} // [] };
	my $cur = $by{ $meta->{'current-snapshot-id'} // '' } // {};
	return ($cur, $by{ $cur->{'parent-snapshot-id'} // '' } // {});
}

sub run_case
{
	my ($name, $on_s3) = @_;
	$c = DoSQL::Test::Cluster->new($name, shards => 2,
		tables => { ev => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
	$c->start;
	$router = $c->router;
	$router->safe_psql('create table ev (id int primary key, v text, n bigint)');
	$s3 = $on_s3 ? DoSQL::Test::Lake::start_s3("${name}_s3rver", 'lake') : undef;
	my @at = $s3 ? (warehouse => 's3://lake/wh', s3 => $s3->{settings}) : ();
	my @atm = $s3 ? (warehouse => 's3://lake/whm', s3 => $s3->{settings}) : ();
	my %small = (flushThresholdEvents => 2, flushThresholdMs => 200, flushIntervalMs => 100, minFilesThreshold => 4,
		minPartitionAgeMs => 0, compactionIntervalMs => 0);
	$log = DoSQL::Test::Lake->new($c, @at, %small);
	$mir = DoSQL::Test::Lake->new($c, @atm, %small, node_name => 'mirror', slot => 'dolake_m', mode => 'mirror');
	for my $l ($log, $mir)
	{
		$pause{$l} = $c->basedir . '/pause_' . $l->node->name;
		$l->node->setenv('DOSQL_LAKE_PAUSE', $pause{$l});
		$l->start(undef);
	}
	($next, $changes) = (1, 0);

	# many small files in both tables
	insert_rows(2) for 1 .. 8;
	$_->all_confirmed('small flushes') for $log, $mir;
	my $nlog = scalar(@{ read_changelog()->{files} });
	my $nmir = scalar(@{ read_mirror()->{files} });
	cmp_ok($nlog, '>=', 8, "$nlog small files in the changelog table");
	cmp_ok($nmir, '>=', 8, "$nmir small data files in the mirror table");

	# each compaction held before its commit, its request answered by a child
	my %child;
	for my $l ($log, $mir)
	{
		write_file($pause{$l}, '');
		my $pos = $l->node->log_position;
		my $out = $pause{$l} . '.answer';
		my $pid = fork() // die "fork: $!";
		if (!$pid)
		{
			my $r = HTTP::Tiny->new(timeout => 300)->post(url($l, '/compact'));
			write_file($out, "$r->{status}\n$r->{content}");
			POSIX::_exit(0);
		}
		$child{$l} = [ $pid, $out ];
		ok($l->node->wait_for_log(qr/compaction waits before its commit/, $pos), $l->node->name . ': the compaction is under way')
		  or diag($l->node->log_tail);
}

	# the stream flows meanwhile: inserts, updates and deletes of rows the compactions rewrite
	insert_rows(3);
	$changes += $router->safe_psql(q{select count(*) from ev where id % 3 = 0});
	$router->safe_psql(q{update ev set v = 'during', n = n + 1000 where id % 3 = 0});
	$router->safe_psql(q{delete from ev where id in (2, 5, 17)});
	$changes += 3;
	insert_rows(2);
	for my $l ($log, $mir)
	{
		$l->all_confirmed($l->node->name . ': while the compaction waits');
		my $st = status($l);
		ok($st->{maintenance}{running}, $l->node->name . ': GET /lake/status: the compaction is still under way');
		ok(-e $pause{$l}, $l->node->name . ': and still held');
}
	my $during_log = read_changelog();
	my $during_mir = read_mirror();
	cmp_ok(scalar(@{ $during_log->{files} }), '>', $nlog, 'the changelog table got the flushes while the compaction waited');
	is_deeply($during_mir->{rows}, router_rows(), 'the mirror table has the router\'s rows before the compaction commits');

	# the compactions go on: each made again after the flushes' version
	for my $l ($log, $mir)
	{
		my $pos = $l->node->log_position;
		unlink($pause{$l}) or die "unlink: $!";
		waitpid($child{$l}[0], 0);
		my ($code, $body) = split /\n/, (-e $child{$l}[1] ? DoSQL::Test::Utils::slurp_file($child{$l}[1]) : "0\n{}"), 2;
		is($code, 200, $l->node->name . ': POST /compact answered') or diag($body);
		my $res = eval { decode_json($body) } // {};
		is($res->{filesReplaced}, $l == $log ? $nlog : $nmir, $l->node->name . ': it replaced the files it was asked about');
		like($l->node->log_content, qr/another writer made this version first; the compaction is made again after it/,
			$l->node->name . ': its commit lost to a flush and was made again');
}

	my $after = read_changelog();
	my ($snap, $parent) = current($after->{meta});
	is($snap->{summary}{operation}, 'replace', 'changelog: the current snapshot is the compaction');
	is($parent->{summary}{operation}, 'append', 'changelog: made after a flush\'s snapshot');
	is($snap->{summary}{'dosql.lsn'}, $parent->{summary}{'dosql.lsn'}, 'changelog: it keeps the flush\'s dosql.lsn');
	is(scalar(@{ $after->{files} }), scalar(@{ $during_log->{files} }) - $nlog + 1,
		'changelog: the small files became one, the flushes\' files stay');
	is($after->{changes}, $changes, "changelog: icebird reads the $changes changes");
	is($after->{count}{c}, $changes, 'changelog: DuckDB reads each change once');
	is($after->{count}{d}, $changes, 'changelog: no (lsn, seq) twice');
	is_deeply($after->{latest}, router_rows(), 'changelog: the latest change of each key is the router\'s row');

	my $mafter = read_mirror();
	($snap, $parent) = current($mafter->{meta});
	is($snap->{summary}{operation}, 'replace', 'mirror: the current snapshot is the compaction');
	is($snap->{summary}{'dosql.lsn'}, $parent->{summary}{'dosql.lsn'}, 'mirror: it keeps the flush\'s dosql.lsn');
	is_deeply($mafter->{rows}, router_rows(), 'mirror: DuckDB applying the deletes reads the router\'s rows');
	is_deeply($mafter->{ids}, [ split /\n/, $router->safe_psql('select id from ev order by id') ], 'mirror: icebird reads the router\'s keys, each once');

	# later flushes commit after the compaction (the sink's table was behind it)
	$router->safe_psql(q{update ev set v = 'after' where id in (1, 3, 4)});
	$changes += 3;
	$router->safe_psql(q{delete from ev where id = 6});
	$changes += 1;
	insert_rows(2);
	$_->all_confirmed('after the compaction') for $log, $mir;
	my $end = read_changelog();
	is($end->{count}{c}, $changes, 'changelog at the end: each change once');
	is_deeply($end->{latest}, router_rows(), 'changelog at the end: the router\'s rows');
	my $mend = read_mirror();
	is_deeply($mend->{rows}, router_rows(), 'mirror at the end: the router\'s rows');

	$_->node->stop for $log, $mir;
	$c->stop;
	is($_->sanitizer_report, '', $_->name . ': no sanitizer reports') for $log->node, $mir->node, $c->router, $c->shards;
}
run_case('lakecs', 0);
run_case('lakecs3', 1);
done_testing();
