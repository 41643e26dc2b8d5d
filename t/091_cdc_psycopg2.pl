# psycopg2's LogicalReplicationConnection follows the whole cluster through
# the router with the dosql_json plugin (t/py/cdc_json.py): one message per
# change between B and C, types as JSON types, acknowledgements that move
# the slot, so a second stream starts after what was confirmed.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use DoSQL::Test::Cluster;
use DoSQL::Test::Utils qw(run_command);

my $python = '/usr/bin/python3';
my ($prc) = run_command([ $python, '-c', 'import psycopg2.extras' ]);
plan skip_all => 'python3-psycopg2 is not installed' if $prc != 0;

my $c = DoSQL::Test::Cluster->new_cluster('cdcpy',
	shards => 4,
	tables => { ev => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
$c->start;
my $r = $c->router;
my $dsn = 'host=' . $r->host . ' port=' . $r->port . ' user=dosql dbname=dosql';
my ($rc, $out, $err) = run_command([ $python, "$DoSQL::Test::Cluster::repo_dir/t/py/cdc_json.py", $dsn ], timeout => 120);
is($rc, 0, 'the psycopg2 replication script ran to completion') or diag($err);

my %got = map { my $o = decode_json($_); ($o->{check} => $o->{value}) } grep { /^\{/ } split /\n/, $out;
ok($got{created}, 'create_replication_slot with dosql_json');
is_deeply($got{actions}, [qw(B I I C B U C B D C)], 'B, changes, C for each transaction; the two-row INSERT is one');
is_deeply($got{insert_rows},
	[ { id => 1, kind => 'a', amount => 1.25, done => JSON::PP::false }, { id => 2, kind => 'b', amount => undef, done => JSON::PP::true } ],
	'columns with JSON numbers, booleans and nulls');
is_deeply($got{update}, {
		table => 'ev',
		columns => [
			{ name => 'id', type => 'integer', value => 1 },
			{ name => 'kind', type => 'text', value => 'a' },
			{ name => 'amount', type => 'numeric', value => 7 },
			{ name => 'done', type => 'boolean', value => JSON::PP::false } ],
		identity => [ { name => 'id', type => 'integer', value => 1 } ] },
	'an UPDATE has the new row and the old key');
is_deeply($got{delete_identity}, [ { name => 'id', type => 'integer', value => 2 } ], 'a DELETE has the old key');
ok($got{xids_paired}, 'include-xids puts the xid in every message');
is_deeply($got{resumed}, [ [ 'B', undef ], [ 'I', 3 ], [ 'C', undef ] ],
	'the second stream starts after what was acknowledged');
ok($got{dropped}, 'drop_replication_slot');

$c->stop;
is($_->sanitizer_report, '', $_->name . ': no sanitizer reports') for $c->router, $c->shards;
done_testing();
