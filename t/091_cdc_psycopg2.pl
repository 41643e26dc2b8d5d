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
use DoSQL::Test::ServerNode;
use DoSQL::Test::Utils qw(run_command);
use DoSQL::Test::Deps qw(require_dependency python_module_missing);

require_dependency(python_module_missing('psycopg2.extras', 'python3-psycopg2'));
my $python = $DoSQL::Test::Deps::python;

my $c = DoSQL::Test::Cluster->new('cdcpy',
	shards => 4,
	tables => { ev => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
$c->start;
my $r = $c->router;
my $dsn = 'host=' . $r->host . ' port=' . $r->port . ' user=dosql dbname=dosql';
my ($rc, $out, $err) = run_command([ $python, "$DoSQL::Test::ServerNode::repo_dir/t/py/cdc_json.py", $dsn ], timeout => 120);
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
is_deeply($got{numbers},
	[ [ '1', '1.10', '0.1', '9223372036854775807' ],
	  [ '2', 'NaN', '-Infinity', '-9223372036854775808' ] ],
	'numbers as their text, not through a double (1.10, 0.1); NaN and infinities are strings') or diag(explain $got{numbers});
ok($got{dropped}, 'drop_replication_slot');

# pgoutput, protocol versions 1 and 2, decoded by hand (t/py/cdc_pgoutput.py)
($rc, $out, $err) = run_command([ $python, "$DoSQL::Test::ServerNode::repo_dir/t/py/cdc_pgoutput.py", $dsn ], timeout => 120);
is($rc, 0, 'the pgoutput script ran to completion') or diag($err);
%got = map { my $o = decode_json($_); ($o->{check} => $o->{value}) } grep { /^\{/ } split /\n/, $out;
is_deeply($got{v1_types}, [qw(B R I I I C)], 'protocol 1: Begin, Relation before the first change, the INSERT over shards in one transaction, Commit');
ok($got{v1_lsns} && $got{v2_lsns}, 'Begin.final_lsn = Commit.commit_lsn < Commit.end_lsn, flags 0');
ok($got{v1_rising} && $got{v2_rising}, 'LSNs rise from one transaction to the next');
is_deeply($got{relation}, { ns => 'public', rel => 'po', ident => 'd', cols => [ [ 'id', 1, 23 ], [ 'label', 0, 25 ] ] },
	'Relation: namespace, name, replica identity, key flags and type OIDs');
is_deeply($got{inserts}, [ [ '1', 'one' ], [ '2', undef ], [ '3', 'three' ] ], 'Insert tuples in text, NULL as n');
ok($got{relid_matches}, 'changes name the relid of their Relation');
# id 3 -> 10 is an UPDATE of the key on one shard, or a move between two
my $moved = grep { $_ eq 'U' } @{ $got{v2_types} };
like(join(' ', @{ $got{v2_types} }), qr/^B R (U|D I|I D) C B D C$/,
	'protocol 2 in a new stream: the key UPDATE, then the DELETE; the unpublished table is left out');
is_deeply($got{v2_changes},
	[ [ 'D', [ '2', undef ], undef ],
		$moved ? ([ 'U', [ '3', undef ], [ '10', 'three' ] ])
		: ([ 'D', [ '3', undef ], undef ], [ 'I', undef, [ '10', 'three' ] ]) ],
	'DELETE and a key-changing UPDATE carry the old key (other columns n), INSERT and UPDATE the new row');
is_deeply($got{missing_publication_names}, [ '22023', 'ERROR:  publication_names parameter missing' ], 'publication_names missing: 22023');
is_deeply($got{proto_too_high}, [ '0A000', 'ERROR:  client sent proto_version=4 but we only support protocol 3 or lower' ],
	'proto_version 4: 0A000');
is_deeply($got{unknown_option}, [ 'XX000', 'ERROR:  unrecognized pgoutput option: bogus' ], 'an unknown option: XX000');

$c->stop;
is($_->sanitizer_report, '', $_->name . ': no sanitizer reports') for $c->router, $c->shards;
done_testing();
