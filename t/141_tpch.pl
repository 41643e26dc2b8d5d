# TPC-H through the router: the data of bench/tpch/dbgen.pl (scale
# DOSQL_TPCH_SCALE, default 0.01; bench/tpch/run uses 0.1) loaded with COPY
# into a 4-shard cluster sharded as a user would shard it (lineitem and
# orders by orderkey, customer by custkey, part and partsupp by partkey,
# supplier by suppkey, nation and region reference tables) and into
# PostgreSQL 15.  Each of the 22 queries (bench/tpch/queries, the
# specification's validation parameters) gives PostgreSQL's rows through the
# router, in order where the query orders, numbers compared by value; Q1 and
# Q6 also in the extended protocol.  Where the aggregation runs on the
# shards (Q1, Q6: aggregates over one sharded table), SHOW STATS shows the
# router received at most one row per group per shard; the same for Q12,
# whose join of orders and lineitem on orderkey is aggregated on the shards.
# Where a join of tables that are not colocated meets filters the shards can
# run (Q3, Q5, Q7, Q8, Q9, Q15: the colocated orders' dates, the nations and
# regions of suppliers and customers, the keys of the parts and suppliers
# fetched first; Q15: the WHERE of the CTE that reads lineitem), the router
# receives fewer rows than a fifth of lineitem (Q9: a third, Q8: a
# fiftieth; Q9 and Q8's orders by the keys of the lines fetched), where it
# received all of lineitem or more before.  EXISTS, NOT EXISTS and IN
# subqueries colocated with the table they correlate with run in its fetch
# (Q4, Q21 under a twentieth, Q18 a tenth), and orders read only in Q22's
# NOT EXISTS come DISTINCT (under a fifth).  Those queries also run in the
# extended protocol.
use strict;
use warnings;
use lib 't/lib';
use File::Temp qw(tempdir);
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::Oracle;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);
use DoSQL::Test::Tpch qw(tpch_tables tpch_generate tpch_load tpch_queries tpch_answer tpch_same tpch_received);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }
require_dependency(DoSQL::Test::Oracle::unavailable());

my $scale = $ENV{DOSQL_TPCH_SCALE} // 0.01;
my $dir = tempdir(CLEANUP => 1);
tpch_generate($scale, $dir);

my $oracle = DoSQL::Test::Oracle->start;
my $cluster = DoSQL::Test::Cluster->new('tpch', shards => 4, tables => tpch_tables());
$cluster->start;

my %opts = (RaiseError => 0, PrintError => 0, AutoCommit => 1);
my $pg = DBI->connect($oracle->dsn, 'postgres', '', \%opts) or BAIL_OUT("postgres: $DBI::errstr");
my $simple = $cluster->router_dbh({ %opts, pg_server_prepare => 0 });
my $extended = $cluster->router_dbh(\%opts);
tpch_load($pg, $dir);
tpch_load($simple, $dir);
is_deeply($simple->selectall_arrayref('select count(*), sum(l_quantity) from lineitem'),
	$pg->selectall_arrayref('select count(*), sum(l_quantity) from lineitem'), 'lineitem loaded alike');

# Rows per group per shard when the aggregation runs on the shards.
my %groups = (q01 => 4, q06 => 1, q12 => 2);
my %filtered = (q03 => 5, q04 => 20, q05 => 5, q07 => 5, q08 => 50, q09 => 3, q15 => 5, q18 => 10, q21 => 20, q22 => 5);
my ($lineitem) = $pg->selectrow_array('select count(*) from lineitem');
for my $q (tpch_queries())
{
	my $want = tpch_answer($pg, $q->{sql});
	# from scale 0.1 on, every query has rows (Q20 has none at 0.01)
	ok(!$want->{err} && ($scale < 0.1 || @{ $want->{rows} }), "$q->{name} answers on PostgreSQL") or diag($want->{err});
	my $before = tpch_received($simple);
	my $got = tpch_answer($simple, $q->{sql});
	my $received = tpch_received($simple) - $before;
	is(tpch_same($got, $want), '', "$q->{name}: PostgreSQL's answer through the router (received $received rows)");
	next unless $groups{ $q->{name} } || $filtered{ $q->{name} };
	if ($groups{ $q->{name} })
	{
		cmp_ok($received, '<=', 4 * $groups{ $q->{name} }, "$q->{name}: at most one row per group per shard received");
	}
	else
	{
		cmp_ok($received, '<', $lineitem / $filtered{ $q->{name} },
			"$q->{name}: the shards filter the fetches by the joins (under 1/$filtered{ $q->{name} } of $lineitem lineitems)");
	}
	is(tpch_same(tpch_answer($extended, $q->{sql}), $want), '', "$q->{name}: the same in the extended protocol");
}

done_testing;
