# The router's per-shard pools under pool_size: a shard never has more
# connections than that; a statement that needs one more waits for a
# session to give one back (it goes on then), or gets 53300 naming the
# shard at acquire_timeout_ms, shown meanwhile as "waiting for a
# connection" in SHOW CLIENTS; idle connections close after
# idle_timeout_ms.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);
use DoSQL::Test::Utils qw(poll_until);
use JSON::PP ();

require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl'));
require DBI;
require DBD::Pg;
DBD::Pg->import(':async');

my $c = DoSQL::Test::Cluster->new('pool',
	shards => 2,
	tables => { kv => { column_vindexes => [ { column => 'id', name => 'hash' } ] } },
	router_config => { pool_size => 2, acquire_timeout_ms => 2000, idle_timeout_ms => 1000, admin_users => ['dosql'] });
$c->start;
my $router = $c->router;
$router->safe_psql('create table kv (id int primary key, v text)');
$router->safe_psql("insert into kv values (1, 'one'), (2, 'two'), (3, 'three')");
my $dsn = 'dbi:Pg:host=' . $router->host . ';port=' . $router->port . ';dbname=dosql';
sub session { return DBI->connect($dsn, 'dosql', 'dosql', { AutoCommit => 1, RaiseError => 0, PrintError => 0 }); }

my $admin = session();
my ($shard) = $admin->selectrow_array('explain select v from kv where id = 1') =~ /shard[s]? "?([^" ,)]+)/;
my $servers = sub {
	my $rows = $admin->selectall_arrayref('show servers') // [];
	return scalar grep { $_->[0] eq $shard } @$rows;
};
my %config = map { @$_ } @{ $admin->selectall_arrayref('show config') };
is_deeply([ @config{qw(pool_size acquire_timeout_ms idle_timeout_ms)} ], [ 2, 2000, 1000 ], 'SHOW CONFIG shows the pool settings');
my $clients = sub { return [ map { $_->[5] } @{ $admin->selectall_arrayref('show clients') // [] } ]; };

# two transactions hold the shard's two connections
my @holders = map { session() } 1 .. 2;
for my $h (@holders) {
	$h->begin_work;
	is($h->selectrow_array('select v from kv where id = 1'), 'one', 'a transaction reads the shard');
}
is($servers->(), 2, 'the shard has two connections, both held');

# a third statement for the shard waits, then fails with 53300
my $third = session();
$third->do('select v from kv where id = 1', { pg_async => PG_ASYNC() });
ok(poll_until(sub { grep { $_ eq 'waiting for a connection' } @{ $clients->() } }),
	'SHOW CLIENTS shows the statement waiting for a connection');
ok(poll_until(sub { $third->pg_ready }), 'the waiting statement ends');
$third->pg_result;
is($third->state, '53300', 'at acquire_timeout_ms it fails with 53300');
like($third->errstr, qr/could not get a connection to shard "\Q$shard\E" within acquire_timeout_ms/,
	'... naming the shard and the setting');
is($servers->(), 2, 'the shard still has two connections');

# it goes on once a transaction gives its connection back
$third->do('select v from kv where id = 1', { pg_async => PG_ASYNC() });
ok(poll_until(sub { grep { $_ eq 'waiting for a connection' } @{ $clients->() } }), 'it waits again');
$holders[0]->commit;
ok(poll_until(sub { $third->pg_ready }), 'the waiting statement ends');
is($third->pg_result, 1, 'it ran on the connection the commit gave back');
is($third->state, '', 'without an error');
ok($servers->() <= 2, 'the shard never has more than pool_size connections');
$holders[1]->rollback;

# a statement over every shard waits for the full one too and then runs
$_->begin_work for @holders;
$_->selectrow_array('select v from kv where id = 1') for @holders;
$third->do('select count(*) from kv', { pg_async => PG_ASYNC() });
ok(poll_until(sub { grep { $_ eq 'waiting for a connection' } @{ $clients->() } }), 'a scatter waits for the full shard');
$holders[1]->rollback;
ok(poll_until(sub { $third->pg_ready }), 'and ends once a connection is back');
$third->pg_result;
is($third->state, '', 'the scatter ran');
$holders[0]->commit;

# idle connections close after idle_timeout_ms
ok(poll_until(sub { $servers->() == 0 }), 'idle connections close after idle_timeout_ms');
is($admin->selectrow_array('select v from kv where id = 3'), 'three', 'a new statement opens one again');

# max_parallel_shards: an unordered scatter has at most that many shard
# statements in flight; without it, every shard at once
my $in_flight = sub {
	my ($dbh) = @_;
	my ($id) = $dbh->selectrow_array('select pg_backend_pid()');
	$dbh->do('select id, pg_sleep(0.4) from kv', { pg_async => PG_ASYNC() });
	my $most = 0;
	until ($dbh->pg_ready) {
		my $rows = $admin->selectall_arrayref('show servers') // [];
		my $active = grep { $_->[2] eq 'active' && $_->[3] ne '' } @$rows;
		$most = $active if $active > $most;
	}
	my $n = $dbh->pg_result;
	return ($most, $n, $dbh->state);
};
my $cfg = JSON::PP::decode_json(DoSQL::Test::Utils::slurp_file($c->config_file));
$cfg->{max_parallel_shards} = 1;
DoSQL::Test::Utils::write_file($c->config_file, JSON::PP::encode_json($cfg));
is($admin->do('reload'), '0E0', 'RELOAD with max_parallel_shards 1');
my ($most, $n, $state) = $in_flight->($third);
is($n, 3, 'the scatter returns every row');
is($state, '', 'without an error');
is($most, 1, 'one shard statement in flight at a time');
$cfg->{max_parallel_shards} = 0;
DoSQL::Test::Utils::write_file($c->config_file, JSON::PP::encode_json($cfg));
$admin->do('reload');
($most, $n) = $in_flight->($third);
is($n, 3, 'without the limit it returns every row too');
is($most, 2, 'with both shards at work at once');

$_->disconnect for @holders, $third, $admin;
$c->stop;
done_testing();
