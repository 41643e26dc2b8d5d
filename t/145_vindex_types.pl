# Every vindex type through the real router against PostgreSQL 15: tables
# placed by hash, numeric, range, region (region, id) and multicol (site,
# sensor) vindexes, and one with a lookup_unique vindex, are created and
# loaded through the router and in PostgreSQL; every query gives what
# PostgreSQL gives; every row is on exactly one shard, the one EXPLAIN of
# an equality on its key names; EXPLAIN shows the route each vindex gives
# (one shard for full keys and a lookup equality, a region's shards for
# the region alone, a multicol prefix's shards, the overlapping shards for
# a range predicate).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::Oracle;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }
use DBI;
require_dependency(DoSQL::Test::Oracle::unavailable());

my $oracle = DoSQL::Test::Oracle->start;
my $cluster = DoSQL::Test::Cluster->new('vt', shards => 4,
	vschema => {
		vindexes => {
			hash => { type => 'hash' },
			num => { type => 'numeric' },
			bytime => { type => 'range', params => { ranges => [
				{ to => '2025-01-01', shard => '-40' }, { from => '2025-01-01', to => '2025-07-01', shard => '40-80' },
				{ from => '2025-07-01', to => '2026-01-01', shard => '80-c0' }, { from => '2026-01-01', shard => 'c0-' } ] } },
			email_uq => { type => 'lookup_unique', params => { table => 'u_email', from => 'email', to => 'keyspace_id' } },
			geo => { type => 'region', params => { regions => { eu => '-80', us => '80-c0', ap => 'c0-' } } },
			mc => { type => 'multicol', params => { column_count => 2, column_bytes => [ 1, 7 ] } },
		},
		tables => {
			h_t => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
			n_t => { column_vindexes => [ { column => 'id', name => 'num' } ] },
			r_t => { column_vindexes => [ { column => 'at', name => 'bytime' } ] },
			u_t => { column_vindexes => [ { column => 'id', name => 'hash' }, { column => 'email', name => 'email_uq' } ] },
			u_email => { column_vindexes => [ { column => 'email', name => 'hash' } ] },
			g_t => { column_vindexes => [ { columns => [ 'region', 'id' ], name => 'geo' } ] },
			m_t => { column_vindexes => [ { columns => [ 'site', 'sensor' ], name => 'mc' } ] },
		},
	});
$cluster->start;
my @shards = $cluster->shards;
my @names = $cluster->shard_names;
my $router = $cluster->router;
my %opts = (RaiseError => 0, PrintError => 0, AutoCommit => 1);
my $pg = DBI->connect($oracle->dsn, 'postgres', '', \%opts) or BAIL_OUT("oracle: $DBI::errstr");
my $rt = $cluster->router_dbh;

my @tables = (
	[ 'h_t', 'create table h_t (id int8 primary key, v text)', [ 'id' ] ],
	[ 'n_t', 'create table n_t (id int8 primary key, v text)', [ 'id' ] ],
	[ 'r_t', 'create table r_t (at date not null, v int)', [ 'at' ] ],
	[ 'u_t', 'create table u_t (id int8 primary key, email text unique, v int)', [ 'id' ] ],
	[ 'g_t', 'create table g_t (region text not null, id int8 not null, v int, primary key (region, id))', [ 'region', 'id' ] ],
	[ 'm_t', 'create table m_t (site int4 not null, sensor int4 not null, v int, primary key (site, sensor))',
		[ 'site', 'sensor' ] ],
);
$rt->do('create table u_email (email text primary key, keyspace_id int8 not null)') or BAIL_OUT($rt->errstr);
for my $t (@tables) {
	$_->do($t->[1]) or BAIL_OUT($_->errstr) for $pg, $rt;
}
my @regions = qw(eu us ap);
my @load;
for my $i (1 .. 40) {
	push @load, "insert into h_t values ($i, 'h$i')", 'insert into n_t values (' . ($i * 230584300921369395) . ", 'n$i')",
		sprintf(q{insert into r_t values ('%04d-%02d-%02d', %d)}, 2024 + $i % 3, 1 + $i % 12, 1 + $i % 28, $i),
		"insert into u_t values ($i, 'e$i\@x', $i)", "insert into g_t values ('$regions[$i % 3]', $i, $i)",
		'insert into m_t values (' . ($i % 5) . ", $i, $i)";
}
# multi-row and prepared INSERTs
push @load, q{insert into g_t values ('eu', 100, 1), ('us', 100, 2), ('ap', 100, 3)},
	q{insert into m_t values (7, 100, 1), (7, 101, 2), (8, 100, 3)};
for my $sql (@load) {
	$pg->do($sql) or BAIL_OUT("oracle: $sql: " . $pg->errstr);
	$rt->do($sql) or BAIL_OUT("router: $sql: " . $rt->errstr);
}
for my $db ($pg, $rt) {
	my $st = $db->prepare('insert into g_t values ($1, $2, $3)');
	$st->execute('us', 200, 7) or BAIL_OUT($db->errstr);
	$st = $db->prepare('insert into m_t values ($1, $2, $3)');
	$st->execute(9, 200, 7) or BAIL_OUT($db->errstr);
}

# the same answers as PostgreSQL
sub rows
{
	my ($db, $sql) = @_;
	my $r = $db->selectall_arrayref($sql);
	return defined $r ? join("\n", map { join('|', map { $_ // 'NULL' } @$_) } @$r) : 'ERROR: ' . $db->errstr;
}
my @queries = (
	'select * from h_t order by id', 'select * from h_t where id = 7', 'select v from h_t where id in (1, 2, 39) order by v',
	'select * from n_t order by id', 'select v from n_t where id = 922337203685477580',
	'select * from r_t order by at, v', q{select count(*) from r_t where at >= '2025-03-01' and at < '2025-09-01'},
	q{select v from r_t where at between '2024-01-01' and '2024-12-31' order by v},
	'select * from u_t order by id', q{select id, v from u_t where email = 'e7@x'},
	q{select id from u_t where email in ('e1@x', 'e2@x', 'zz@x') order by id},
	'select * from g_t order by region, id', q{select v from g_t where region = 'us' and id = 100},
	q{select id, v from g_t where region = 'eu' order by id}, q{select count(*) from g_t where region = 'mars'},
	'select region, count(*), sum(v) from g_t group by region order by region', 'select v from g_t where id = 100 order by v',
	'select * from m_t order by site, sensor', 'select v from m_t where site = 7 and sensor = 101',
	'select sensor from m_t where site = 3 order by sensor', 'select site, count(*) from m_t group by site order by site',
	'select g.region, m.v from g_t g join m_t m on m.sensor = g.id where g.id < 4 order by 1, 2',
);
is(rows($rt, $_), rows($pg, $_), $_) for @queries;

# every row on exactly one shard: the one EXPLAIN of its key names
sub routed
{
	my ($sql) = @_;
	return ($router->safe_psql("explain $sql") =~ /^(Route.*)$/m)[0] // '';
}
for my $t (@tables) {
	my ($table, undef, $keys) = @$t;
	my $cols = join(', ', @$keys);
	my (%at, $copies);
	for my $i (0 .. 3) {
		for my $row (grep { length } split /\n/, $shards[$i]->safe_psql("select $cols from $table")) {
			$copies++;
			$at{$row} = $i;
		}
	}
	my $wrong = 0;
	for my $row (keys %at) {
		my @v = split /\|/, $row;
		my $where = join(' and ', map { "$keys->[$_] = '$v[$_]'" } 0 .. $#v);
		my $route = routed("select * from $table where $where");
		$wrong++ unless $route =~ /^Route Equal shard \Q$names[$at{$row}]\E by vindex \w+ \(\Q$cols\E\)$/;
	}
	my ($count) = $pg->selectrow_array("select count(*) from $table");
	is($copies, $count, "$table: each of its $count rows is on one shard");
	is($wrong, 0, "$table: on the shard EXPLAIN of its key names");
	ok(scalar(grep { my $i = $_; grep { $_ == $i } values %at } 0 .. 3) >= 2, "$table: spread over the shards");
}
is($shards[0]->safe_psql(q{select count(*) from g_t where region <> 'eu'}) + $shards[1]->safe_psql(q{select count(*) from g_t where region <> 'eu'}),
	0, 'region eu owns shards -40 and 40-80: only its rows are there');
is($shards[3]->safe_psql(q{select distinct region from g_t}), 'ap', 'region ap owns c0-');
is($shards[2]->safe_psql(q{select distinct region from g_t}), 'us', 'region us owns 80-c0');

# the route each vindex gives
# (and EXPLAIN names the vindex it routes by)
like(routed(q{select * from u_t where email = 'e7@x'}), qr/^Route Lookup shard \S+ by vindex email_uq \(email\)$/,
	'a lookup equality: one shard');
is(routed(q{select * from g_t where region = 'eu'}), 'Route Prefix 2 shards -40,40-80 by vindex geo (region, id)',
	'the region alone: its shards');
is(routed(q{select * from g_t where region = 'us' and id = 5}), 'Route Equal shard 80-c0 by vindex geo (region, id)',
	'region and key: one shard');
like(routed('select * from m_t where site = 7'), qr/^Route Prefix shard \S+ by vindex mc \(site, sensor\)$/,
	'a multicol prefix: the shard its byte allows');
is(routed('select * from m_t where sensor = 7'), 'Route Scatter every shard (4)', 'not a prefix: every shard');
is(routed(q{select * from r_t where at >= '2025-03-01' and at < '2025-09-01'}),
	'Route Range 2 shards 40-80,80-c0 by vindex bytime (at)', 'a range predicate: the overlapping shards');
like(routed('select * from h_t where id = 7'), qr/^Route Equal shard \S+ by vindex hash \(id\)$/, 'hash equality: one shard');
like(routed('select * from n_t where id in (1, 2)'), qr/^Route (IN \d shards \S+|Equal shard \S+) by vindex num \(id\)$/,
	'an IN list: the shards of its values');

my $vs = $router->safe_psql('show vschema');
like($vs, qr/^g_t\|sharded\|geo\(region, id\)\|4$/m, 'SHOW VSCHEMA names both columns of the region vindex');
like($vs, qr/^m_t\|sharded\|mc\(site, sensor\)\|4$/m, 'and of the multicol one');

# what the router refuses rather than misplacing
ok(!$rt->do(q{insert into g_t values ('mars', 1, 1)}), 'a row of an unknown region');
is($rt->state, '22023', 'is 22023');
ok(!$rt->do(q{update g_t set id = 999 where region = 'eu' and id = 3}), 'an UPDATE of a region vindex column');
is($rt->state, '0A000', 'is refused with 0A000');
is(rows($rt, q{select v from g_t where region = 'eu' and id = 3}), rows($pg, q{select v from g_t where region = 'eu' and id = 3}),
	'the row stays');

done_testing();
