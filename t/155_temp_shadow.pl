# TEMP tables on one dosql-shard and through the router.  On a shard a TEMP
# table may take a permanent table's name: the session that made it reads
# and writes its own table under the name (public.name is the permanent
# one), other sessions see only the permanent table, and the TEMP table
# goes when its session ends.  Through the router a TEMP table lives on the
# session's shard connections, which the session keeps until it ends (then
# they close and the shards drop the table); a TEMP table named as a
# permanent one is refused with 0A000.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DBI;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);
use DoSQL::Test::Utils qw(poll_until);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }

my %opts = (RaiseError => 0, PrintError => 0, AutoCommit => 1);

# ---- one shard: a TEMP table shadows the permanent one for its session
my $shard = DoSQL::Test::ServerNode->new_shard('tshadow');
$shard->start;
my $a = DBI->connect($shard->dsn, 'dosql', '', \%opts) or BAIL_OUT($DBI::errstr);
my $b = DBI->connect($shard->dsn, 'dosql', '', \%opts) or BAIL_OUT($DBI::errstr);
ok($a->do('CREATE TABLE items (id int, note text)'), 'permanent table created');
ok($a->do(q{INSERT INTO items VALUES (1, 'kept'), (2, 'kept')}), 'permanent rows');
ok($a->do('CREATE TEMP TABLE items (id int, price float8)'), 'TEMP table of the same name created');
ok($a->do('INSERT INTO items VALUES (7, 1.5)'), 'rows into the TEMP table');
is_deeply($a->selectall_arrayref('SELECT id, price FROM items'), [ [ 7, 1.5 ] ], 'the session reads its TEMP table');
is($a->selectrow_array('SELECT count(*) FROM public.items'), 2, 'public.items is the permanent table');
is_deeply($b->selectall_arrayref('SELECT id, note FROM items ORDER BY id'), [ [ 1, 'kept' ], [ 2, 'kept' ] ],
	'another session reads the permanent table');
ok($b->do('CREATE TEMP TABLE items (other text)'), 'another session shadows the name too');
ok($b->do(q{INSERT INTO items VALUES ('b')}), 'and writes its own rows');
is($b->selectrow_array('SELECT other FROM items'), 'b', 'each session has its own TEMP table');
is($a->selectrow_array('SELECT price FROM items'), 1.5, 'the first session still reads its own');
$a->disconnect;
$b->disconnect;
my $c = DBI->connect($shard->dsn, 'dosql', '', \%opts) or BAIL_OUT($DBI::errstr);
ok(poll_until(sub { $c->selectrow_array(q{SELECT count(*) FROM pg_class WHERE relname LIKE 'pg_temp%items'}) == 0 }),
	'the TEMP tables went with their sessions');
is($c->selectrow_array('SELECT count(*) FROM items'), 2, 'the permanent table keeps its rows');
$c->disconnect;

# ---- through the router
my $cluster = DoSQL::Test::Cluster->new('tshadowr', shards => 2, tables => {});
$cluster->start;
my $r = DBI->connect($cluster->router->dsn, 'dosql', '', \%opts) or BAIL_OUT($DBI::errstr);
ok($r->do('CREATE TABLE perm (id int)'), 'router: permanent table created');
ok(!$r->do('CREATE TEMP TABLE perm (id int)'), 'router: a TEMP table named as a permanent one fails');
is($r->state, '0A000', 'router: with 0A000');
ok($r->do('CREATE TEMP TABLE scratch (id int, s text)'), 'router: TEMP table created');
ok($r->do(q{INSERT INTO scratch VALUES (1, 'a'), (2, 'b'), (3, 'c')}), 'router: rows in it');
my $other = DBI->connect($cluster->router->dsn, 'dosql', '', \%opts) or BAIL_OUT($DBI::errstr);
for my $i (1 .. 5)
{
	# another session borrows pooled connections meanwhile
	$other->selectrow_array('SELECT count(*) FROM perm');
	is($r->selectrow_array('SELECT count(*) FROM scratch'), 3, "router: the session reads its TEMP table ($i)");
}
$r->disconnect;
my $on_shards = sub {
	my $n = 0;
	$n += $_->safe_psql(q{SELECT count(*) FROM pg_class WHERE relname = 'scratch'}) for $cluster->shards;
	return $n;
};
ok(poll_until(sub { $on_shards->() == 0 }), 'router: the TEMP table went from every shard when the session ended');
ok(!defined $other->selectrow_array('SELECT count(*) FROM scratch'), 'router: another session cannot read it now');
is($other->state, '42P01', 'router: 42P01');
$other->disconnect;
done_testing();
