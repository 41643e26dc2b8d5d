# Transaction pooling: a session holds a shard connection only while it has
# work there, then the connection goes back to its shard's pool for the
# next session.  Sessions one after another share one connection per shard;
# concurrent transactions each get their own, and never see each other's
# uncommitted rows; one session's SETs never reach another (RESET ALL, then
# the session's own SETs); startup settings and application_name keep
# connections apart; a session gone in the middle of a transaction leaves
# nothing behind; idle connections beyond pool_max_idle are closed; pooled
# connections to a shard that restarted are replaced.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }

my $c = DoSQL::Test::Cluster->new('pool', shards => 2,
	tables => { t => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		tz => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		tn => { column_vindexes => [ { column => 'id', name => 'hash' } ] } },
	router_config => { pool_max_idle => 3 });
$c->start;
my $router = $c->router;
my @shards = $c->shards;
my @names = $c->shard_names;

sub dbh
{
	my (%p) = @_;
	return DBI->connect('dbi:Pg:' . $router->connstr(%p), undef, undef,
		{ AutoCommit => 1, RaiseError => 1, PrintError => 0, pg_server_prepare => 1 });
}

# SHOW POOLS as {shard => {active, idle, opened, closed, taken}}
sub pools
{
	my %r;
	for (split /\n/, $router->safe_psql('show pools')) {
		my @f = split /\|/;
		$r{ $f[0] } = { active => $f[1], idle => $f[2], opened => $f[3], closed => $f[4], taken => $f[5] };
	}
	return \%r;
}

$router->safe_psql('create table t (id int primary key, v text)');
$router->safe_psql('insert into t (id, v) values ' . join(', ', map { "($_, 'v$_')" } 1 .. 20));
my $p0 = pools();
is_deeply([ map { $p0->{$_}{active} } @names ], [ 0, 0 ], 'no connection is held between statements');

# sessions one after another share one connection per shard, whatever
# their application_name
for (1 .. 10) {
	my $d = dbh(application_name => "app$_");
	is($d->selectrow_array('select count(*) from t'), 20, "session $_ reads every shard");
	is($d->selectrow_array(q{select current_setting('application_name')}), "app$_", "with its application_name")
	  if $_ <= 2;
	$d->disconnect;
}
my $p1 = pools();
is_deeply([ map { $p1->{$_}{opened} - $p0->{$_}{opened} } @names ], [ 0, 0 ],
	'ten sessions one after another opened no new shard connection');
is_deeply([ map { $p1->{$_}{taken} - $p0->{$_}{taken} } @names ], [ 12, 10 ],
	'each of their statements took a pooled connection');

# concurrent transactions each hold their own connection, until they end
my @open = map { dbh() } 1 .. 5;
for my $i (0 .. $#open) {
	$open[$i]->do('begin');
	$open[$i]->selectrow_array('select count(*) from t');
}
my $p2 = pools();
is_deeply([ map { $p2->{$_}{active} } @names ], [ 5, 5 ], 'five open transactions hold five connections per shard');
$_->do('commit') for @open;
my $p3 = pools();
is_deeply([ map { $p3->{$_}{active} } @names ], [ 0, 0 ], 'after COMMIT they are back');
is_deeply([ map { $p3->{$_}{idle} } @names ], [ 3, 3 ], 'at most pool_max_idle (3) stay idle per shard');
ok($p3->{ $names[0] }{closed} - $p2->{ $names[0] }{closed} >= 2, 'the others were closed');
$_->disconnect for @open;

# an open transaction's rows are its own: another session gets another connection
my ($a, $b) = (dbh(), dbh());
$a->do('begin');
$a->do(q{insert into t (id, v) values (100, 'uncommitted')});
is($b->selectrow_array('select count(*) from t where id = 100'), 0, 'another session does not see the uncommitted row');
is($b->selectrow_array('select count(*) from t'), 20, 'nor in a scan of every shard');
$a->do('commit');
is($b->selectrow_array('select v from t where id = 100'), 'uncommitted', 'it sees it once committed');

# one session's SETs never reach another
$a->do(q{set timezone = 'America/New_York'});
$a->do('set extra_float_digits = 0');
is($a->selectrow_array(q{select current_setting('TimeZone')}), 'America/New_York', 'a session sees its SET');
is($b->selectrow_array(q{select current_setting('TimeZone')}), 'UTC', 'the next session on that connection does not');
is($b->selectrow_array('select (0.1::float8 + 0.2)::text'), '0.30000000000000004', 'nor its extra_float_digits');
is($a->selectrow_array('select (0.1::float8 + 0.2)::text'), '0.3', 'the first session still has its own');
my %zones = map { $_->[0] => 1 } @{ $a->selectall_arrayref(q{select current_setting('TimeZone') from t}) };
is(join(',', sort keys %zones), 'America/New_York', 'on every shard it reaches');
# the router's own final step (an aggregate over every shard) runs with
# the session's settings too
$router->safe_psql(q{create table tz (id int primary key, at timestamptz)});
$router->safe_psql(q{insert into tz (id, at) values (1, '2024-01-01 00:00+00'), (2, '2024-06-01 12:00+00'), (3, '2024-03-01 00:00+00')});
is($a->selectrow_array('select max(at)::text from tz'), '2024-06-01 08:00:00-04', 'a final step prints in the session\'s TimeZone');
is($a->selectrow_array(q{select string_agg(distinct current_setting('TimeZone'), ',') from tz}), 'America/New_York',
	'and current_setting there sees the session\'s SET');
my $po = dbh(options => '-c TimeZone=Europe/Paris');
is($po->selectrow_array('select min(at)::text from tz'), '2024-01-01 01:00:00+01', 'and its startup options');
$po->disconnect;
is($b->selectrow_array('select max(at)::text from tz'), '2024-06-01 12:00:00+00',
	'the next final step, for a session without SETs, prints in UTC: the router keeps final-step sessions reset');
$b->do(q{set timezone = 'Asia/Tokyo'});
is($a->selectrow_array(q{select current_setting('TimeZone')}), 'America/New_York', 'SETs of two sessions stay apart');
is($b->selectrow_array(q{select current_setting('TimeZone')}), 'Asia/Tokyo', 'both ways');
$a->do('reset all');
is($a->selectrow_array(q{select current_setting('TimeZone')}), 'UTC', 'RESET ALL through the router');
is($a->selectrow_array('select (0.1::float8 + 0.2)::text'), '0.30000000000000004', 'RESET ALL resets extra_float_digits');

# startup settings and application_name keep connections apart
my $o = dbh(options => '-c extra_float_digits=0', application_name => 'opt');
is($o->selectrow_array('select (0.1::float8 + 0.2)::text'), '0.3', 'startup options reach the shard');
is($b->selectrow_array('select (0.1::float8 + 0.2)::text'), '0.30000000000000004', 'and stay on its connections');
is($o->selectrow_array(q{select current_setting('application_name')}), 'opt', 'application_name as the session started');
is($a->selectrow_array(q{select current_setting('application_name')}), '', 'others keep theirs');
is($o->selectrow_array('select (0.1::float8 + 0.2)::text'), '0.3', 'options hold on the next statement too');
$a->do(q{set application_name = 'mine'});
is($b->selectrow_array(q{select current_setting('application_name')}), '', 'a SET application_name stays in its session');
is($a->selectrow_array(q{select current_setting('application_name')}), 'mine', 'and holds there');
$o->disconnect;

# named statements prepared by one session serve the next
for my $round (1 .. 2) {
	my $d = dbh();
	my $st = $d->prepare('select v from t where id = $1');
	my @got = map { $st->execute($_); my ($v) = $st->fetchrow_array; $st->finish; $v } 1, 2, 3;
	is_deeply(\@got, [qw(v1 v2 v3)], "server-side prepared statement, session $round");
	$d->disconnect;
}

# a session gone in the middle of a transaction leaves nothing
my $before = pools();
$a->disconnect;
$router->psql(q{begin; insert into t (id, v) values (200, 'lost');}, flags => [ '-X', '-q' ]);
ok($router->poll_query_until('select count(*) from t where id = 200', '0'),
	'a session that went away mid-transaction leaves no row');
is($b->selectrow_array('select count(*) from t where id = 200'), 0, 'and no open transaction on a pooled connection');
$b->disconnect;

# pooled connections to a shard that went away are replaced
my $idle = pools()->{ $names[1] }{idle};
ok($idle > 0, "shard $names[1] has idle pooled connections ($idle)");
$shards[1]->kill9;
$shards[1]->start;
ok($router->poll_query_until('select count(*) from t', '21'), 'after the shard restarted, queries reach it again');
my $after = pools()->{ $names[1] };
ok($after->{closed} >= $before->{ $names[1] }{closed} + $idle, 'its dead pooled connections were closed');
is($after->{active}, 0, 'none is held');

# DDL inside a transaction runs on every shard within it: rolled back,
# nothing is left anywhere; committed, the new sharded table's rows are
# placed by their key's type (learned from the CREATE TABLE) and found by it
my $ddl = dbh();
$ddl->{AutoCommit} = 0;
$ddl->do('create table t2 (id int primary key, v text)');
$ddl->do(q{insert into t2 (id, v) values (1, 'a'), (2, 'b')});
$ddl->rollback;
is(join(',', map { $_->safe_psql(q{select count(*) from pg_class where relname = 't2'}) } @shards), '0,0',
	'a rolled-back CREATE TABLE leaves no table on any shard');
$ddl->do('create table tz2 (id int primary key, v numeric(10,2))');
$ddl->commit;
$ddl->{AutoCommit} = 1;
$ddl->do(q{select dosql_shard_table('tz2', 'id')});
$ddl->{AutoCommit} = 0;
$ddl->do('create table t3 (id int primary key, v numeric(10,2))');
$ddl->do('create table tn (id int primary key, v text)');
$ddl->do(q{insert into tn (id, v) values } . join(', ', map { "($_, 'n$_')" } 1 .. 20));
$ddl->do('alter table tz2 add column w text');
$ddl->do(q{insert into tz2 (id, v, w) values } . join(', ', map { "($_, $_.5, 'w')" } 1 .. 20));
is($ddl->selectrow_array('select count(*) from tz2 where id = 7'), 1, 'inside the transaction, a row is found by its key');
$ddl->commit;
is(join(',', map { $_->safe_psql(q{select count(*) from pg_class where relname = 't3'}) } @shards), '1,1',
	'a committed CREATE TABLE is on every shard');
is(join(',', map { $router->safe_psql("select count(*) from tz2 where id = $_") } 1 .. 20), join(',', ('1') x 20),
	'each row of the transaction is where its key routes');
is($router->safe_psql('select sum(v) from tz2'), '220.00', 'and the sum keeps the column\'s scale');
is(join(',', map { $router->safe_psql("select v from tn where id = $_") } 1 .. 20), join(',', map { "n$_" } 1 .. 20),
	'rows inserted into a sharded table created in the same transaction are where their int keys route');
is(scalar(grep { $_->safe_psql('select count(*) from tn') > 0 } @shards), 2, 'on both shards');
$ddl->disconnect;

$c->stop;
done_testing();
