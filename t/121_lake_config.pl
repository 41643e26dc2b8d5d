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
refused('{"flushEvery": 5}', qr/\Q$file\E: unknown setting "flushEvery"/, 'an unknown key');
refused('{"warehouse": ', qr/\Q$file\E:1:\d+: /, 'JSON that does not parse');
my ($rc, $out, $err) = run_command([ $bin ], timeout => 30);
like($err, qr/usage: dosql-lake --config FILE/, 'no --config: usage');
done_testing();
