# DoLake's compaction and snapshot expiry on an S3 warehouse (s3rver, npm,
# started here; it ignores If-None-Match, so the commits take the lock
# object): the checks of t/125 (t/lib/DoSQL/Test/LakeCompact.pm), with the
# Parquet files, manifests and journals read, written and deleted through
# the S3 API.  POST /compact turns the small files into one in a replace
# snapshot; DuckDB and icebird (over the objects downloaded) read the same
# changes and the router's rows; POST /expire deletes the objects only the
# old snapshots used; kills during a compaction and during an expiry lose
# and duplicate nothing and leave no object behind; mirror mode too; and
# the schedule compacts and expires.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Npm;
use DoSQL::Test::Deps qw(require_dependency);
use DoSQL::Test::Lake;
use DoSQL::Test::LakeCompact;
use DoSQL::Test::Utils qw(run_command);

require_dependency(DoSQL::Test::Npm::unavailable());
require_dependency((eval { (run_command([ 'curl', '--version' ]))[0] } // 1) == 0 ? undef : 'curl is not installed');

my $s3 = DoSQL::Test::Lake::start_s3('lakecs3_s3rver', 'lake');
my $c = DoSQL::Test::LakeCompact::run(name => 'lakecs3', s3 => $s3,
	sink => [ warehouse => 's3://lake/wh', s3 => $s3->{settings} ],
	mirror => [ warehouse => 's3://lake/whm', s3 => $s3->{settings} ]);
is_deeply([ grep { m{/(inflight[^/]*|expiring)\.json$|/lock-} } DoSQL::Test::Lake::s3_keys($s3, '') ], [],
	'no journal and no lock object is left in the bucket');
$s3->{node}->stop;
done_testing();
