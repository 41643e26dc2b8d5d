# A real PostgreSQL 15 subscribes to a publication on the router
# (CREATE SUBSCRIPTION ... WITH (copy_data = false)): pgoutput protocol 3,
# the catalog queries of CREATE SUBSCRIPTION answered from the shards, and
# after a workload through the router (single-shard and cross-shard
# transactions, a row moving between shards, a reference table, UPDATEs of
# the key, DELETEs, TRUNCATE) the subscriber's tables hold exactly the
# cluster's rows.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency);
use DoSQL::Test::Oracle;
use DoSQL::Test::Utils qw(poll_until);

require_dependency(DoSQL::Test::Oracle::unavailable());

my $sub = DoSQL::Test::Oracle->start;
my $c = DoSQL::Test::Cluster->new('cdcsub',
	shards => 4,
	tables => {
		acct => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		colors => { type => 'reference' },
	});
$c->start;
my $router = $c->router;
my @schema = ('create table acct (id int primary key, owner text, balance numeric(12,2), note text)',
	'create table colors (code text primary key, label text)',
	'create table misc (k int primary key, v text)');
$router->safe_psql($_) for @schema;
$sub->safe_psql($_) for @schema;
$router->safe_psql('create publication p for table acct, colors');
$router->safe_psql('create publication pmisc for table misc');
is($router->safe_psql(q{select pubname from pg_catalog.pg_publication order by 1}), "p\npmisc", 'pg_publication lists the publications');
is($router->safe_psql(q{select tablename, attnames from pg_catalog.pg_publication_tables where pubname = 'p' order by 1}),
	"acct|{id,owner,balance,note}\ncolors|{code,label}", 'pg_publication_tables lists their tables and columns');

$router->safe_psql('create publication pall for all tables');
is($router->safe_psql(q{select tablename from pg_catalog.pg_publication_tables where pubname = 'pall' order by 1}),
	"acct\ncolors\nmisc", 'a publication FOR ALL TABLES has every table');
$router->safe_psql('drop publication pall');
my $conninfo = 'host=' . $router->host . ' port=' . $router->port . ' user=dosql dbname=dosql';
my (undef, undef, $notice) = $sub->psql("create subscription s1 connection '$conninfo' publication p with (copy_data = false)", on_error_die => 1);
like($notice, qr/created replication slot "s1" on publisher/, 'CREATE SUBSCRIPTION creates its slot on the router');

my @workload = (
	q{insert into acct (id, owner, balance) values } . join(', ', map { "($_, 'owner $_', " . ($_ * 10) . ')' } 1 .. 40),
	q{insert into colors (code, label) values ('red', 'Red'), ('green', 'Green'), ('blue', null)},
	q{update acct set balance = balance + 1, note = 'bumped' where id % 3 = 0},
	q{begin; update acct set balance = balance - 5 where id = 1; update acct set balance = balance + 5 where id = 2; commit},
	q{delete from acct where id between 35 and 40},
	q{update acct set id = 100 where id = 7},
	q{update colors set label = 'Blue' where code = 'blue'},
	q{delete from colors where code = 'green'},
	q{insert into misc (k, v) values (1, 'not published')},
	q{insert into acct (id, owner, balance, note) values (200, 'it''s "quoted"', -0.5, e'tab\there')},
);
$router->safe_psql($_) for @workload;

my %query = (acct => 'select id, owner, balance, note from acct order by id', colors => 'select code, label from colors order by code');
sub caught_up
{
	return poll_until(sub { !grep { $sub->safe_psql($query{$_}) ne $router->safe_psql($query{$_}) } sort keys %query }, 60);
}
ok(caught_up(), 'the subscriber holds exactly the cluster\'s rows');
is($sub->safe_psql('select count(*), sum(balance) from acct'), $router->safe_psql('select count(*), sum(balance) from acct'),
	'the same count and sum of balances');
is($sub->safe_psql('select count(*) from misc'), '0', 'a table outside the publication is not replicated');

# TRUNCATE goes through too, then more rows
$router->safe_psql('truncate colors');
$router->safe_psql(q{insert into colors (code, label) values ('black', 'Black')});
ok(caught_up(), 'after TRUNCATE and new rows the subscriber still matches');
is($sub->safe_psql('select code from colors'), 'black', 'the truncated table holds only the new row');

# the apply worker restarts from its origin's position: nothing is applied twice
$sub->safe_psql('alter subscription s1 disable');
$router->safe_psql(q{insert into acct (id, owner) values (300, 'while disabled')});
$sub->safe_psql('alter subscription s1 enable');
ok(caught_up(), 'after DISABLE / ENABLE the subscriber catches up without duplicates (a duplicate key would stop it)');

(undef, undef, $notice) = $sub->psql('drop subscription s1', on_error_die => 1);
like($notice, qr/dropped replication slot "s1" on publisher/, 'DROP SUBSCRIPTION drops the slot on the router');

$c->stop;
is($_->sanitizer_report, '', $_->name . ': no sanitizer reports') for $c->router, $c->shards;
$sub->stop;
done_testing();
