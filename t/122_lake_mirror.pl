# DoLake's mirror mode: each table as the source has it, upserts and
# deletes as Iceberg v2 equality deletes on the primary key.  A workload of
# inserts, updates, deletes, a key that moves between shards, a two-phase
# transaction and a TRUNCATE runs through the router while the sink is
# killed with SIGKILL at its crash points and started again; then icebird
# (which applies equality deletes itself) and DuckDB SQL over the data and
# delete files (a delete removes the rows of older files with its key) both
# read exactly the router's rows.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::Npm;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency);
use DoSQL::Test::Lake;

require_dependency(DoSQL::Test::Npm::unavailable());

my $c = DoSQL::Test::Cluster->new('lakem',
	shards => 4,
	tables => {
		acct => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		tr => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
	});
$c->start;
my $router = $c->router;
$router->safe_psql('create table acct (id int primary key, bal bigint not null, note text, at timestamptz)');
$router->safe_psql('create table tr (id int primary key, v text)');

my $lake = DoSQL::Test::Lake->new($c, mode => 'mirror', flushThresholdEvents => 30, flushThresholdMs => 300,
	flushIntervalMs => 100);
my $sink = $lake->node;

$lake->crash_workload($router);

my $w = $lake->warehouse;
my $res = $lake->read({
	iceberg => [ "file://$w/dosql/acct", "file://$w/dosql/tr" ],
	mirror => [
		{ table => "file://$w/dosql/acct", key => 'id',
		  select => q{cast(d.id as varchar) || '|' || cast(d.bal as varchar) || '|' || coalesce(d.note, 'NULL') || '|' || coalesce(cast(d.at as varchar), 'NULL')} },
		{ table => "file://$w/dosql/tr", key => 'id', select => q{cast(d.id as varchar) || '|' || d.v} },
	],
});
my %want = (
	acct => [ split /\n/, $router->safe_psql(q{select id || '|' || bal || '|' || coalesce(note, 'NULL') || '|' || coalesce(at::text, 'NULL') from acct order by id}) ],
	tr => [ split /\n/, $router->safe_psql(q{select id || '|' || v from tr order by id}) ],
);
ok(@{ $want{acct} } > 50, scalar(@{ $want{acct} }) . ' rows of acct at the router');
my $i = 0;
for my $t (qw(acct tr))
{
	my @got = map { $_->{r} } @{ $res->{mirror}[$i] // [] };
	is_deeply(\@got, $want{$t}, "DuckDB, equality deletes applied in SQL: $t is the router's table")
	  or diag(explain({ got => \@got, want => $want{$t} }));
	my $ice = $res->{iceberg}[$i] // {};
	my @ids = sort { $a <=> $b } map { $_->{id} } @{ $ice->{rows} // [] };
	is_deeply(\@ids, [ map { (split /\|/)[0] } @{ $want{$t} } ], "icebird: $t has the router's keys, each once");
	my $meta = $ice->{metadata} // {};
	my ($schema) = grep { $_->{'schema-id'} == ($meta->{'current-schema-id'} // -1) } @{ $meta->{schemas} // [] };
	my ($id_field) = grep { $_->{name} eq 'id' } @{ $schema->{fields} // [] };
	is_deeply($schema->{'identifier-field-ids'}, [ $id_field->{id} ], "$t: the primary key is the identifier field");
	is_deeply($meta->{'partition-specs'}[0]{fields}, [], "$t: unpartitioned");
	$i++;
}
my ($bal1) = map { $_->{bal} } grep { $_->{id} == 1 } @{ $res->{iceberg}[0]{rows} // [] };
is($bal1, $router->safe_psql('select bal from acct where id = 1'), 'icebird: a row updated by the two-phase transaction');

$sink->stop;
$c->stop;
is($_->sanitizer_report, '', $_->name . ': no sanitizer reports') for $sink, $c->router, $c->shards;
done_testing();
