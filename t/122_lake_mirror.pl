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

my $next = 1;
sub insert_accounts
{
	my ($n) = @_;
	my @ids = ($next .. $next + $n - 1);
	$next += $n;
	$router->safe_psql('insert into acct (id, bal, note, at) values '
		  . join(', ', map { "($_, " . ($_ * 10) . ", 'n$_', '2024-03-0" . ($_ % 9 + 1) . " 10:00:00+00')" } @ids));
}

$lake->start('lake-after-parquet');
insert_accounts(25) for 1 .. 3;
$router->safe_psql(q{insert into tr values (1, 'a'), (2, 'b'), (3, 'c')});
ok($sink->wait_exit, 'the sink died after its Parquet files, before the commit');
$lake->start(undef);
$lake->all_confirmed('after the restart');

$sink->kill9;
$lake->start('lake-after-table-commit');
$router->safe_psql('update acct set bal = bal + 1 where id % 3 = 0');
$router->safe_psql('delete from acct where id % 5 = 0');
$router->safe_psql(q{begin;
	update acct set bal = bal - 100, note = 'paid' where id = 1;
	update acct set bal = bal + 100 where id = 2;
	delete from tr where id = 2;
	insert into tr values (4, 'd');
	commit});
ok($sink->wait_exit, 'the sink died between two tables\' commits');
$lake->start(undef);
$lake->all_confirmed('after the second restart');

$sink->kill9;
$lake->start('lake-before-confirm');
# a row inserted, updated and deleted in one flush; a key that moves
$router->safe_psql(q{insert into acct (id, bal) values (500, 1)});
$router->safe_psql(q{update acct set bal = 2 where id = 500});
$router->safe_psql(q{delete from acct where id = 500});
$router->safe_psql('update acct set id = 1000 where id = 7');
$router->safe_psql('update acct set id = 1001, note = null where id = 8');
insert_accounts(5);
ok($sink->wait_exit, 'the sink died after its commits, before confirming them');
$lake->start(undef);
# a key deleted and inserted again, a TRUNCATE and rows after it
$router->safe_psql(q{delete from acct where id = 3});
$router->safe_psql(q{insert into acct (id, bal, note) values (3, 33, 'again')});
$router->safe_psql('truncate tr');
$router->safe_psql(q{insert into tr values (10, 'after truncate')});
$sink->kill9;
$lake->start(undef);
insert_accounts(3);
$lake->all_confirmed('at the end');

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
