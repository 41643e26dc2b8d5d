# The range vindex through the real router: a time-series table placed by
# time and a table placed by integer id ranges are loaded through the router
# and into PostgreSQL 15; each row is on the shard its range names (read
# from the shards themselves); range predicates give what PostgreSQL gives
# and EXPLAIN shows they read only the shards whose ranges they overlap; a
# value in no range is 22023 naming the table and the value.
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
my $cluster = DoSQL::Test::Cluster->new('rv', shards => 4,
	vschema => {
		vindexes => {
			hash => { type => 'hash' },
			bytime => { type => 'range', params => { ranges => [
				{ to => '2025-01-01', shard => '-40' },
				{ from => '2025-01-01', to => '2025-07-01', shard => '40-80' },
				{ from => '2025-07-01', to => '2026-01-01', shard => '80-c0' },
				{ from => '2026-01-01', to => '2027-01-01', shard => 'c0-' } ] } },
			byid => { type => 'range', params => { ranges => [
				{ to => 1000, shard => '-40' }, { from => 1000, to => 2000, shard => '40-80' },
				{ from => 2000, shard => 'c0-' } ] } },
		},
		tables => {
			metrics => { column_vindexes => [ { column => 'at', name => 'bytime' } ] },
			accts => { column_vindexes => [ { column => 'id', name => 'byid' } ] },
		},
	});
$cluster->start;
my @shards = $cluster->shards;
my %opts = (RaiseError => 0, PrintError => 0, AutoCommit => 1);
my $pg = DBI->connect($oracle->dsn, 'postgres', '', \%opts) or BAIL_OUT("oracle: $DBI::errstr");
my $rt = $cluster->router_dbh;

my @setup = ('create table metrics (at timestamp not null, host text, v int)',
	'create table accts (id int8 primary key, name text, bal numeric(10,2))');
my @rows;
for my $d (0 .. 99) {
	my ($y, $m, $day) = (2024 + int($d / 40), 1 + ($d * 7) % 12, 1 + ($d * 13) % 28);
	push @rows, sprintf(q{insert into metrics values ('%04d-%02d-%02d %02d:%02d:00', 'h%d', %d)}, $y, $m, $day, $d % 24,
		$d % 60, $d % 5, $d);
}
push @rows, map { "insert into accts values ($_, 'n$_', $_ * 1.5)" } (1, 999, 1000, 1500, 1999, 2000, 5000, 123456);
for my $sql (@setup, @rows) {
	$pg->do($sql) or BAIL_OUT("oracle: $sql: " . $pg->errstr);
	$rt->do($sql) or BAIL_OUT("router: $sql: " . $rt->errstr);
}
# a multi-row INSERT and a prepared one, split by range
for my $db ($pg, $rt) {
	$db->do(q{insert into metrics values ('2024-05-05', 'm', 1), ('2025-05-05', 'm', 2), ('2026-05-05', 'm', 3)})
	  or BAIL_OUT($db->errstr);
	my $st = $db->prepare('insert into metrics values ($1, $2, $3)');
	$st->execute('2025-09-09 09:09:09', 'p', 4) or BAIL_OUT($db->errstr);
}

# each row on the shard its range names
my @bounds = ('0001-01-01', '2025-01-01', '2025-07-01', '2026-01-01', '2027-01-01');
my $misplaced = 0;
my $total = 0;
for my $i (0 .. 3) {
	my $out = $shards[$i]->safe_psql(
		"select sum(case when at < '$bounds[$i]' or at >= '$bounds[$i + 1]' then 1 else 0 end), count(*) from metrics");
	my ($bad, $n) = split /\|/, $out;
	$misplaced += $bad;
	$total += $n;
}
is($misplaced, 0, 'every metrics row is on the shard of its time range');
is($total, 104, 'and on exactly one shard');
is($shards[2]->safe_psql('select count(*) from accts'), '0', 'no id range names shard 80-c0: it holds no accts');
is($shards[1]->safe_psql('select id from accts order by id'), "1000\n1500\n1999",
	'[1000, 2000) on 40-80');

# range predicates: the rows PostgreSQL gives
my @queries = (
	q{select at, host, v from metrics where at >= '2025-02-01' and at < '2025-03-01'},
	q{select at, v from metrics where at between '2024-12-15' and '2025-08-01'},
	q{select count(*), sum(v) from metrics where at >= '2025-07-01'},
	q{select v from metrics where '2025-01-01' > at and host = 'h1'},
	q{select at from metrics where at > '2026-06-01' and at <= '2026-12-31 23:59:59'},
	q{select at from metrics where at < '2024-01-01'},
	q{select id, name, bal from accts where id >= 999 and id < 2000},
	q{select id from accts where id > 1999},
	q{select id from accts where id between 0 and 1000},
	q{select count(*) from accts where id < 1000},
);
for my $q (@queries) {
	my $want = $pg->selectall_arrayref($q);
	my $got = $rt->selectall_arrayref($q);
	is_deeply([ sort map { join('|', map { $_ // 'NULL' } @$_) } @{ $got // [] } ],
		[ sort map { join('|', map { $_ // 'NULL' } @$_) } @$want ], $q) or diag($rt->errstr // '');
}
my $st = $rt->prepare('select count(*) from metrics where at >= $1 and at < $2');
$st->execute('2025-01-01', '2025-07-01');
my ($n) = $st->fetchrow_array;
is($n, $pg->selectrow_array(q{select count(*) from metrics where at >= '2025-01-01' and at < '2025-07-01'}),
	'bound parameters as range predicates');

# EXPLAIN: only the overlapping shards
sub route_line
{
	my ($q) = @_;
	my $plan = $rt->selectcol_arrayref("explain $q") or return 'error: ' . $rt->errstr;
	my ($line) = grep { /Route/ } @$plan;
	return $line // join(' / ', @$plan);
}
like(route_line(q{select * from metrics where at >= '2025-02-01' and at < '2025-03-01'}),
	qr/^Route Range shard 40-80\b/, 'a range inside one range reads one shard');
like(route_line(q{select * from metrics where at between '2024-12-15' and '2025-08-01'}),
	qr/^Route Range 3 shards -40,40-80,80-c0\b/, 'BETWEEN over three ranges reads three shards');
like(route_line(q{select * from accts where id >= 1500}), qr/^Route Range 2 shards 40-80,c0-/,
	'an open range reads the ranges from its bound on');
like(route_line(q{select * from metrics where at = '2025-03-03 03:03:00'}), qr/^Route Equal shard 40-80\b/,
	'equality reads the one shard');
like(route_line(q{select * from metrics where host = 'h1'}), qr/^Route Scatter every shard/,
	'no predicate on the range column: every shard');

# a value in no range
my $ok = $rt->do(q{insert into metrics values ('2030-01-01', 'late', 0)});
ok(!$ok, 'an INSERT with a value in no range fails');
is($rt->state, '22023', 'with 22023');
like($rt->errstr, qr/table "metrics": value "2030-01-01" is outside every range of vindex "bytime"/,
	'naming the table and the value');
is_deeply($rt->selectall_arrayref(q{select * from metrics where at = '2030-01-01'}), [],
	'reading a value in no range finds no row');

done_testing();
