# DoLake's compaction and snapshot expiry on a local warehouse (the checks
# are in t/lib/DoSQL/Test/LakeCompact.pm; t/129 runs them on S3).  Many
# small flushes make many small files in a changelog table; POST /compact
# rewrites them as one file in a `replace` snapshot that keeps dosql.lsn,
# and icebird and DuckDB read exactly the same changes as before (the
# router's rows as the latest change of each key); POST /expire then
# removes the old snapshots and the files only they used.  A sink killed
# during a compaction (after writing the new file, before the commit) and
# started again leaves no file behind, loses and duplicates nothing.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Npm;
use DoSQL::Test::Deps qw(require_dependency);
use DoSQL::Test::LakeCompact;

require_dependency(DoSQL::Test::Npm::unavailable());

DoSQL::Test::LakeCompact::run(name => 'lakec');
done_testing();
