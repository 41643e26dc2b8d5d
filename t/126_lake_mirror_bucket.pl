# DoLake's mirror mode partitioned by a bucket of the key (mirrorBuckets):
# t/122's workload (the sink killed at its crash points) with the tables
# partitioned by Iceberg's bucket[4] of the primary key; icebird and DuckDB
# applying the equality deletes read exactly the router's rows; each key's
# rows and deletes are in the one partition of its bucket (key 34 in
# bucket 3, Murmur3 as the Iceberg spec's Appendix B says; t/unit/test_lake
# checks the spec's hashes); and a compaction (per bucket) keeps the rows.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use DoSQL::Test::Npm;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency);
use DoSQL::Test::Lake;

require_dependency(DoSQL::Test::Npm::unavailable());

my ($c, $router) = DoSQL::Test::Lake::workload_cluster('lakeb');

my $lake = DoSQL::Test::Lake->new($c, mode => 'mirror', mirrorBuckets => 4, flushThresholdEvents => 30,
	flushThresholdMs => 300, flushIntervalMs => 100, minFilesThreshold => 2, minPartitionAgeMs => 0,
	compactionIntervalMs => 0);
my $sink = $lake->node;
$lake->crash_workload($router);

my $spec = sub { [ { name => 'key_bucket', transform => 'bucket[4]', 'source-id' => $_[0], 'field-id' => 1000 } ] };
$lake->check_mirror($router, $spec);

# where each key's rows and deletes are: the partition directory of its bucket
my $w = $lake->warehouse;
my $where = $lake->read({ duckdb => [
	qq{select id, count(distinct regexp_extract(filename, 'key_bucket=([0-9]+)', 1)) as n, min(regexp_extract(filename, 'key_bucket=([0-9]+)', 1)) as b
	   from read_parquet('$w/dosql/acct/data/*/*.parquet', filename = true, union_by_name = true) group by id order by id},
	qq{select count(*) as n from glob('$w/dosql/acct/data/*.parquet')} ] });
my @keys = @{ $where->{duckdb}[0] // [] };
cmp_ok(scalar(@keys), '>', 50, scalar(@keys) . ' keys in the data and delete files of acct');
is_deeply([ grep { $_->{n} != 1 } @keys ], [], "each key's rows and deletes are in one partition");
my %buckets = map { ($_->{b} => 1) } @keys;
is_deeply([ sort keys %buckets ], [ 0, 1, 2, 3 ], 'the keys are in the 4 buckets');
my ($k34) = grep { $_->{id} == 34 } @keys;
is($k34->{b}, 3, 'key 34 is in bucket 3 (Murmur3 of the long 34 is 2017239379)');
is($where->{duckdb}[1][0]{n}, 0, 'no data file is outside a bucket directory');

# compaction per bucket keeps the table
my $http = HTTP::Tiny->new(timeout => 60);
my $r = $http->post('http://127.0.0.1:' . $lake->http_port . '/compact');
is($r->{status}, 200, 'POST /compact') or diag(explain($r));
my $res = eval { decode_json($r->{content}) } // {};
cmp_ok($res->{filesReplaced} // 0, '>', $res->{filesWritten} // 0,
	"compaction rewrote $res->{filesReplaced} files into $res->{filesWritten}");
cmp_ok($res->{filesWritten} // 0, '>=', 4, 'at least one file per bucket');
$lake->check_mirror($router, $spec);
$router->safe_psql(q{update acct set note = 'after compaction' where id in (1, 34)});
$router->safe_psql(q{delete from acct where id = 2});
$lake->all_confirmed('after changes that follow the compaction');
$lake->check_mirror($router, $spec);

$sink->stop;
$c->stop;
is($_->sanitizer_report, '', $_->name . ': no sanitizer reports') for $sink, $c->router, $c->shards;
done_testing();
