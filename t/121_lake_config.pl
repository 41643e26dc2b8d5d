# dosql-lake's configuration: a bad value is refused naming the file and
# the key, and so is an unknown key.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use File::Temp ();
use DoSQL::Test::ServerNode;
use DoSQL::Test::Utils qw(run_command write_file);

my $bin = "$DoSQL::Test::ServerNode::bindir/dosql-lake";
my $dir = File::Temp::tempdir('dosql_121_XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $file = "$dir/lake.json";

sub refused
{
	my ($json, $re, $what) = @_;
	write_file($file, $json);
	my ($rc, $out, $err) = run_command([ $bin, '--config', $file ], timeout => 30);
	isnt($rc, 0, "$what: refused");
	like($err, $re, "$what: the message names the file and the key") or diag($err);
}

refused('{"flushThresholdEvents": 0}', qr/\Q$file\E: flushThresholdEvents: expected a positive number of events/,
	'a zero event threshold');
refused('{"flushThresholdBytes": "big"}', qr/\Q$file\E: flushThresholdBytes: expected a positive number of bytes/,
	'a byte threshold as a string');
refused('{"parquetCompression": "lz4"}',
	qr/\Q$file\E: parquetCompression: expected "none", "snappy", "gzip" or "zstd"/, 'an unknown codec');
refused('{"mode": "upsert"}', qr/\Q$file\E: mode: expected "changelog" or "mirror"/, 'a mode it does not write');
refused('{"tables": []}', qr/\Q$file\E: tables: expected an array of table names/, 'an empty table list');
refused('{"http": {"host": "127.0.0.1", "port": 70000}}', qr/\Q$file\E: http: expected/, 'a port out of range');
refused('{"minFilesThreshold": 0}', qr/\Q$file\E: minFilesThreshold: expected a positive number of files/,
	'a zero compaction threshold');
refused('{"targetFileSizeBytes": 1.5}', qr/\Q$file\E: targetFileSizeBytes: expected a positive number of bytes/,
	'a target size that is no integer');
refused('{"maxFilesPerCompaction": -3}', qr/\Q$file\E: maxFilesPerCompaction: expected a positive number of files/,
	'a negative number of files per compaction');
refused('{"minPartitionAgeMs": -1}', qr/\Q$file\E: minPartitionAgeMs: expected a number of milliseconds, 0 or more/,
	'a negative partition age');
refused('{"compactionIntervalMs": "hourly"}', qr/\Q$file\E: compactionIntervalMs: expected a number of milliseconds/,
	'a compaction interval as a word');
refused('{"snapshotRetentionMs": -5}', qr/\Q$file\E: snapshotRetentionMs: expected a number of milliseconds, 0 or more/,
	'a negative retention');
refused('{"minSnapshotsToKeep": 0}', qr/\Q$file\E: minSnapshotsToKeep: expected a positive number of snapshots/,
	'keeping no snapshot');
refused('{"mirrorBuckets": 33}', qr/\Q$file\E: mirrorBuckets: expected a number of buckets from 0 to 32/,
	'more buckets than 32');
refused('{"mirrorBuckets": -1}', qr/\Q$file\E: mirrorBuckets: expected a number of buckets from 0 to 32/,
	'a negative number of buckets');
refused('{"flushEvery": 5}', qr/\Q$file\E: unknown setting "flushEvery"/, 'an unknown key');
refused('{"warehouse": ', qr/\Q$file\E:1:\d+: /, 'JSON that does not parse');
# S3: the warehouse URI, the s3 object and its keys; credentials from the
# environment count, none at all is refused
refused('{"warehouse": "s3://A_b/x"}', qr/\Q$file\E: warehouse: expected a directory or an s3:\/\/bucket\/prefix URI/,
	'a bucket name S3 does not allow');
refused('{"warehouse": "gs://bucket/x"}', qr/\Q$file\E: warehouse: expected a directory or an s3:\/\/bucket\/prefix URI/,
	'a scheme other than s3');
refused('{"s3": "yes"}', qr/\Q$file\E: s3: expected an object of endpoint, region, accessKeyId, secretAccessKey, pathStyle/,
	's3 not an object');
refused('{"s3": {"endpoint": "127.0.0.1:9000"}}', qr/\Q$file\E: s3\.endpoint: expected an http:\/\/ or https:\/\/ URL/,
	'an endpoint without its scheme');
refused('{"s3": {"region": ""}}', qr/\Q$file\E: s3\.region: expected a non-empty string/, 'an empty region');
refused('{"s3": {"pathStyle": "yes"}}', qr/\Q$file\E: s3\.pathStyle: expected true or false/, 'pathStyle not a boolean');
refused('{"s3": {"bucket": "b"}}', qr/\Q$file\E: s3: unknown setting "bucket"/, 'an unknown s3 key');
{
	local $ENV{AWS_ACCESS_KEY_ID};
	local $ENV{AWS_SECRET_ACCESS_KEY};
	delete @ENV{qw(AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY)};
	refused('{"warehouse": "s3://bucket/x", "s3": {"accessKeyId": "k"}}',
		qr/\Q$file\E: s3: expected accessKeyId and secretAccessKey \(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\)/,
		'an s3 warehouse without a secret key');
	local $ENV{AWS_SECRET_ACCESS_KEY} = 'from-env';
	local $ENV{AWS_ENDPOINT_URL} = 'ftp://x';
	refused('{"warehouse": "s3://bucket/x", "s3": {"accessKeyId": "k"}}',
		qr/\Q$file\E: s3\.endpoint: expected an http:\/\/ or https:\/\/ URL/,
		'AWS_ENDPOINT_URL is read and checked too');
}
my ($rc, $out, $err) = run_command([ $bin ], timeout => 30);
like($err, qr/usage: dosql-lake --config FILE/, 'no --config: usage');
done_testing();
