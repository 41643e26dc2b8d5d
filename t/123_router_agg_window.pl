# Aggregates and window functions over a table sharded across two shards:
# ordered aggregates, FILTER, ordered-set and statistical aggregates,
# json_agg, window functions with frames and the WINDOW clause, DISTINCT ON
# and grouping sets run in the router's final step over the shards' rows
# and must give PostgreSQL 15's rows (every statement orders its output, or
# returns one row).  The same statements on one dosql-shard too.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Oracle;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }
require_dependency(DoSQL::Test::Oracle::unavailable());

my $oracle = DoSQL::Test::Oracle->start;
my $single = DoSQL::Test::ServerNode->new_shard('aggw');
$single->start;
my $cluster = DoSQL::Test::Cluster->new('aggwr', shards => 2,
	tables => { s17 => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
$cluster->start;

my %opts = (RaiseError => 0, PrintError => 0, AutoCommit => 1);
my %db = (
	postgres => DBI->connect($oracle->dsn, 'postgres', '', \%opts),
	shard => DBI->connect($single->dsn, 'dosql', '', \%opts),
	router => DBI->connect($cluster->router->dsn, 'dosql', '', \%opts),
);
$db{$_} or BAIL_OUT("cannot connect to $_: $DBI::errstr") for sort keys %db;

# 40 rows; v holds numerics with one digit after the point
my $rows = join(', ',
	map { sprintf("(%d, %d, %d, %.1f, '%s', %s)", $_, $_ % 4, $_ * 7 % 13, ($_ % 5) * 1.5, chr(97 + $_ % 7), $_ * 0.5) }
	  1 .. 40);
for my $name (sort keys %db)
{
	ok($db{$name}->do('CREATE TABLE s17 (id int PRIMARY KEY, uid int, ts int, v numeric, s text, f float8)'),
		"$name: table created");
	ok($db{$name}->do("INSERT INTO s17 VALUES $rows"), "$name: rows inserted") or diag($db{$name}->errstr);
}
my $shards_used = 0;
for my $shard ($cluster->shards)
{
	$shards_used++ if $shard->safe_psql('select count(*) from s17') > 0;
}
is($shards_used, 2, 'the rows are on both shards');

sub answer
{
	my ($dbh, $sql) = @_;
	my $r = $dbh->selectall_arrayref($sql);
	return 'error ' . $dbh->state unless $r;
	return join("\n", map { join('|', map { $_ // 'NULL' } @$_) } @$r);
}

my @corpus = (
	q{SELECT uid, string_agg(s, ',' ORDER BY id) FROM s17 GROUP BY uid ORDER BY uid},
	q{SELECT uid, array_agg(ts ORDER BY ts DESC, id)::text FROM s17 GROUP BY uid ORDER BY uid},
	q{SELECT string_agg(DISTINCT s, '' ORDER BY s), array_agg(DISTINCT ts)::text FROM s17},
	q{SELECT count(*) FILTER (WHERE ts > 5), sum(v) FILTER (WHERE uid = 1), max(s) FILTER (WHERE f < 3) FROM s17},
	q{SELECT uid, count(*) FILTER (WHERE ts > 5) FROM s17 GROUP BY uid ORDER BY uid},
	q{SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY f), percentile_disc(0.25) WITHIN GROUP (ORDER BY v), mode() WITHIN GROUP (ORDER BY s) FROM s17},
	q{SELECT uid, percentile_disc(0.5) WITHIN GROUP (ORDER BY ts) FROM s17 GROUP BY uid ORDER BY uid},
	q{SELECT stddev(ts), variance(v), stddev_pop(f), corr(f, ts), regr_slope(f, ts), regr_count(f, ts), bit_or(ts) FROM s17},
	q{SELECT uid, stddev(ts), var_pop(v), covar_samp(f, ts) FROM s17 GROUP BY uid ORDER BY uid},
	q{SELECT json_agg(id ORDER BY id), jsonb_agg(s ORDER BY id DESC) FROM s17 WHERE uid = 1},
	q{SELECT id, lag(id) OVER (ORDER BY id), lead(ts, 2, 0) OVER (PARTITION BY uid ORDER BY id) FROM s17 ORDER BY id},
	q{SELECT id, first_value(s) OVER w, last_value(s) OVER w, nth_value(s, 2) OVER w FROM s17 WINDOW w AS (PARTITION BY uid ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) ORDER BY id},
	q{SELECT id, sum(ts) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), avg(v) OVER (ORDER BY id ROWS 3 PRECEDING) FROM s17 ORDER BY id},
	q{SELECT id, count(*) OVER (ORDER BY ts GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE TIES) FROM s17 ORDER BY id},
	q{SELECT id, rank() OVER w, dense_rank() OVER w, percent_rank() OVER w, cume_dist() OVER w, ntile(3) OVER (ORDER BY id) FROM s17 WINDOW w AS (ORDER BY uid) ORDER BY id},
	q{SELECT DISTINCT ON (uid) uid, id, ts FROM s17 ORDER BY uid, ts DESC, id},
	q{SELECT uid, ts % 2 AS p, count(*), sum(ts) FROM s17 GROUP BY ROLLUP (uid, ts % 2) ORDER BY 1, 2},
	q{SELECT uid, count(*), grouping(uid) FROM s17 GROUP BY GROUPING SETS ((uid), ()) ORDER BY 1},
	q{SELECT uid, s, count(*) FROM s17 WHERE id < 15 GROUP BY CUBE (uid, s) ORDER BY 1, 2},
	q{SELECT count(DISTINCT v), sum(DISTINCT v) FROM s17},
);
for my $sql (@corpus)
{
	my $want = answer($db{postgres}, $sql);
	unlike($want, qr/^error/, "PostgreSQL answers: $sql");
	is(answer($db{$_}, $sql), $want, "$_: $sql") for qw(shard router);
}
ok($single->is_running && $cluster->router->is_running, 'the shard and the router are alive');

done_testing();
