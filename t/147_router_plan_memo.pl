# Plans kept with their parse trees: a statement run again (a simple query
# of a known shape, an Execute of a prepared statement) is not planned
# again when its plan is one route to one shard, and a route by a vindex
# value finds its shard again from each execution's values.  SHOW
# PLAN_CACHE counts the statements run from a plan kept (plan_hits); every
# row must still come from the shard that holds it, literals of other types
# in the same shape must answer as PostgreSQL 15 does, and a RELOAD of the
# VSchema or DDL must change the plan (rows placed anew are found).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP ();
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);
use DoSQL::Test::Oracle;
use DoSQL::Test::Utils qw(write_file slurp_file);

require_dependency(DoSQL::Test::Oracle::unavailable());
require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl'));

my $oracle = DoSQL::Test::Oracle->start;
my $c = DoSQL::Test::Cluster->new('planmemo', shards => 4,
	tables => {
		s => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		k => { column_vindexes => [ { column => 'id', name => 'hash' } ] } },
	router_config => { admin_users => ['dosql'] });
$c->start;
my $router = $c->router;
my @shards = $c->shards;
my @flags = ('-X', '-q', '-A', '-v', 'ON_ERROR_STOP=0');

# psql's stdout and stderr for sql on the router and on PostgreSQL
sub both { return $oracle->psql_both($router, $_[0]); }

# SHOW PLAN_CACHE's plan_hits
sub plan_hits { return (split /\|/, $router->safe_psql('show plan_cache'))[3]; }

# how many rows of table each shard holds
sub held
{
	my ($table) = @_;
	return map { $_->safe_psql("select count(*) from $table") } @shards;
}

my ($r, $p) = both("create table s (id int primary key, v text);\n"
	  . 'insert into s values ' . join(', ', map { "($_, 'v$_')" } 1 .. 40) . ';');
is($r, $p, 'the table and its forty rows, on both');
my @held = held('s');
is(scalar(grep { $_ > 0 } @held), 4, "the rows are on every shard (@held)");

# the simple protocol: forty lookups of one shape, each row found on the
# shard that holds it, all but the first from the plan kept
my $h0 = plan_hits();
($r, $p) = both(join '', map { "select id, v from s where id = $_;\n" } 1 .. 40);
is($r, $p, 'forty lookups of one shape: each row from its own shard');
my $h1 = plan_hits();
cmp_ok($h1 - $h0, '>=', 39, "39 of them ran from the plan kept (plan_hits $h0 -> $h1)");

# literals of other types in the same shape, NULL, a value that does not
# convert, then the shape again: as PostgreSQL answers
($r, $p) = both(q{select id, v from s where id = 7;
select id, v from s where id = '7';
select id, v from s where id = '8';
select id, v from s where id = 8::bigint;
select id, v from s where id = null;
select id, v from s where id = -7;
select id, v from s where id = 9;
select v from s where id = 10 and v = 'v10';
select v from s where id = 11 and v = 'v10';
select id, v from s where id = 12;});
is($r, $p, 'literals of other types and NULL in one shape, then the shape again');
my (undef, $out, $err) = $router->psql(q{select id, v from s where id = 'x7';
select id, v from s where id = 13;}, flags => \@flags);
like($err, qr/invalid input syntax for type integer: "x7"/, 'a value that does not convert: 22P02');
like($out, qr/^13\|v13$/m, 'and the shape answers after it');

# writes of one shape: each to the shard of its key
($r, $p) = both(join('', map { "update s set v = v || '+' where id = $_;\n" } 1 .. 12)
	  . join('', map { "delete from s where id = $_;\n" } 35 .. 40)
	  . 'select id, v from s order by id;');
is($r, $p, 'UPDATEs and DELETEs of one shape, each on the shard of its key');
my $h2 = plan_hits();
cmp_ok($h2 - $h1, '>=', 15, "the writes ran from their plans kept (plan_hits $h1 -> $h2)");

# the extended protocol: a prepared statement executed forty times, with
# the same plan cache as the simple protocol
my $dbh = $c->router_dbh({ RaiseError => 1, PrintError => 0, AutoCommit => 1 });
my $sth = $dbh->prepare('select v from s where id = ?');
my @got;
for my $id (1 .. 34) {
	$sth->execute($id);
	push @got, $sth->fetchall_arrayref->[0][0] // 'none';
}
is(join(',', @got), join(',', map { $_ <= 12 ? "v$_+" : "v$_" } 1 .. 34),
	'a prepared statement executed 34 times: each row from its own shard');
my $h3 = plan_hits();
cmp_ok($h3 - $h2, '>=', 33, "33 of them ran from the plan kept (plan_hits $h2 -> $h3)");
$sth->execute(undef);
is(scalar(@{ $sth->fetchall_arrayref }), 0, 'a NULL parameter finds no row');
$dbh->disconnect;

# a RELOAD of the VSchema: a table placed by default (pinned to the first
# shard) becomes sharded; the plan kept for the pinned table goes with it
$router->safe_psql('create table t (id int primary key, v text)');
is($router->safe_psql("select v from t where id = $_"), '', "an empty default-placed table, lookup $_") for 1 .. 2;
my $vs = JSON::PP::decode_json(slurp_file($c->vschema_file));
$vs->{tables}{t} = { column_vindexes => [ { column => 'id', name => 'hash' } ] };
write_file($c->vschema_file, JSON::PP->new->canonical->pretty->encode($vs));
is($router->safe_psql('reload'), '', 'RELOAD with t sharded by its id');
$router->safe_psql("insert into t (id, v) values " . join(', ', map { "($_, 't$_')" } 1 .. 20));
my @held_t = held('t');
cmp_ok(scalar(grep { $_ > 0 } @held_t), '>', 1, "t's rows now go to several shards (@held_t)");
is(join(',', map { $router->safe_psql("select v from t where id = $_") } 1 .. 20), join(',', map { "t$_" } 1 .. 20),
	'after RELOAD each lookup of the same shape finds its row on its new shard');

# DDL: k's key becomes text, whose values hash otherwise; rows inserted
# after it are found by the same shape
$router->safe_psql('create table k (id int primary key, v text)');
$router->safe_psql("insert into k (id, v) values " . join(', ', map { "($_, 'k$_')" } 1 .. 20));
is(join(',', map { $router->safe_psql("select v from k where id = '$_'") } 1 .. 20), join(',', map { "k$_" } 1 .. 20),
	'lookups of an int key');
$router->safe_psql('drop table k');
$router->safe_psql('create table k (id text primary key, v text)');
$router->safe_psql("insert into k (id, v) values " . join(', ', map { "('$_', 'x$_')" } 1 .. 20));
is(join(',', map { $router->safe_psql("select v from k where id = '$_'") } 1 .. 20), join(',', map { "x$_" } 1 .. 20),
	'after DROP and CREATE with a text key, the same shape finds each row');

done_testing();
