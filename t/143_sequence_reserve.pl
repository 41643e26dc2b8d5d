# Cluster-wide sequences without blocking the router: a block of values is
# reserved on a connection of its own, on the router's loop, so a statement
# whose block is spent waits for another transaction's write lock on the
# first shard while other sessions are served, and then gets its value
# (before, the router blocked and the statement got 40001).  A transaction
# that holds that lock itself gets 40001 at once and, retried, its values.
# Reference tables with serial columns take cluster-wide values too: every
# copy of a row has the same id, through two routers.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }
use DBI;
use DBD::Pg qw(:async);

my $two = DoSQL::Test::Cluster::two_routers(tables => { sa => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
	sb => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
	pin => { pinned => '-40' },
	refs => { type => 'reference' } });
my @names = @{ $two->{names} };
my @shards = @{ $two->{shards} };
my @routers = @{ $two->{routers} };
my ($router, $router2) = @routers;
sub connect_to { DBI->connect($_[0]->dsn, 'dosql', '', { RaiseError => 1, AutoCommit => 1, PrintError => 0 }) }

$router->safe_psql('create table pin (k int primary key, v text)');
$router->safe_psql('create table sa (id bigserial primary key, body text)');
$router->safe_psql('create table sb (id serial primary key, body text)');

# another transaction holds the first shard's write lock: the INSERT
# needing a block waits for it without holding up the router
my $holder = connect_to($router);
my $waiter = connect_to($router);
my $other = connect_to($router);
$holder->begin_work;
$holder->do(q{insert into pin values (1, 'lock')});
my $wst = $waiter->prepare(q{insert into sa (body) values ('w') returning id}, { pg_async => PG_ASYNC });
$wst->execute;
is_deeply($other->selectall_arrayref('select k, v from pin'), [], 'another session is served while the INSERT waits');
is($other->selectrow_array(q{select count(*) from sa}), 0, 'and reads the sharded table');
ok(!$waiter->pg_ready, 'the INSERT is still waiting for its block (the first shard is locked)');
$holder->commit;
$waiter->pg_result;
my ($wid) = $wst->fetchrow_array;
undef $wst;
is($wid, 1, 'once the lock is given up the INSERT gets the first value');
is($router->safe_psql('select body from sa where id = 1'), 'w', 'and its row is there');

# the transaction holding the lock itself: 40001 at once, retried it goes
$holder->begin_work;
$holder->do(q{insert into pin values (2, 'mine')});
my $ok = eval { $holder->do(q{insert into sb (body) values ('x')}); 1 };
ok(!$ok, 'an INSERT needing a block inside a transaction that locked the first shard fails');
is($holder->state, '40001', 'with 40001');
like($holder->errstr, qr/the cluster-wide sequence "sb_id_seq" needs a new block of values/, 'naming the sequence');
$holder->rollback;
is($holder->selectrow_array(q{insert into sb (body) values ('x') returning id}), 1, 'retried: the first value');
is($other->selectrow_array(q{select count(*) from pin}), 1, 'the rolled back row is not there');

# many values: blocks follow each other, no value twice, increasing
my $st = $waiter->prepare('insert into sa (body) values (?) returning id');
my @ids;
for my $i (1 .. 1500) {
	$st->execute("m$i");
	push @ids, $st->fetchrow_array;
}
my $increasing = grep { $ids[$_] <= $ids[$_ - 1] } 1 .. $#ids;
is($increasing, 0, '1500 prepared INSERTs over two blocks: values increase');
is($router->safe_psql('select count(*), count(distinct id) from sa'), '1501|1501', 'no value twice');
my ($vrc, $vout, $verr) = $router->psql(q{insert into sa (body) values } . join(', ', map { "('big$_')" } 1 .. 1200)
	. q{ returning id});
my @big = grep { /^\d+$/ } split /\n/, $vout;
is(scalar(@big), 1200, 'one INSERT of 1200 rows, more than a block') or diag($verr);
my %distinct = map { $_ => 1 } @big, @ids;
is(scalar(keys %distinct), 2700, 'its values are new');

# reference tables: one value for every copy, cluster-wide across routers
$router->safe_psql('create table refs (id bigserial primary key, name text)');
is($router->safe_psql(q{insert into refs (name) values ('a'), ('b') returning id, name}), "1|a\n2|b",
	'a reference table INSERT returns the sequence values once');
my $r2 = $router2->safe_psql(q{insert into refs (name) values ('c') returning id});
cmp_ok($r2, '>=', 1001, "the other router's value comes from its own block ($r2)");
my $dbr = connect_to($router2);
my $rst = $dbr->prepare('insert into refs (name) values (?) returning id');
$rst->execute('d');
my ($rd) = $rst->fetchrow_array;
is($rd, $r2 + 1, 'a prepared INSERT into the reference table takes the next value');
my $want = join("\n", "1|a", "2|b", "$r2|c", "$rd|d");
is($shards[$_]->safe_psql('select id, name from refs order by id'), $want, "shard $names[$_] holds the same ids")
	for 0 .. 3;
is($router->safe_psql('select count(*), count(distinct id) from refs'), '4|4', 'read through the router: once each');

undef $st;
undef $rst;
$_->disconnect for $holder, $waiter, $other, $dbr;
done_testing();
