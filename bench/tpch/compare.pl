#!/usr/bin/perl
# bench/tpch/compare.pl --router PORT --postgres PORT [--runs N] [--queries "1 6"]:
# the TPC-H queries through the router and on PostgreSQL (both loaded by
# bench/tpch/run), one line per query: best time of each, ratio, rows the
# router received from the shards, whether the answers agree; then the
# geometric mean of the ratios over the queries both answered.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../../t/lib";
use Getopt::Long;
use DBI;
use Time::HiRes qw(time);
use DoSQL::Test::Tpch qw(tpch_queries tpch_answer tpch_same tpch_received);

my ($rport, $pport, $runs, $only) = (7921, 7926, 3, '');
GetOptions('router=i' => \$rport, 'postgres=i' => \$pport, 'runs=i' => \$runs, 'queries=s' => \$only) or die;
$| = 1;
my %want = map { sprintf('q%02d', $_) => 1 } split ' ', $only;
my %opt = (RaiseError => 0, PrintError => 0, AutoCommit => 1);
my $router = DBI->connect("dbi:Pg:host=127.0.0.1;port=$rport;dbname=dosql", 'dosql', '', { %opt, pg_server_prepare => 0 })
  or die $DBI::errstr;
my $pg = DBI->connect("dbi:Pg:host=127.0.0.1;port=$pport;dbname=dosql", 'dosql', '', \%opt) or die $DBI::errstr;

sub best
{
	my ($dbh, $sql) = @_;
	my ($t, $answer);
	for (1 .. $runs)
	{
		my $t0 = time;
		$answer = tpch_answer($dbh, $sql);
		my $d = time - $t0;
		$t = $d if !defined $t || $d < $t;
		last if $answer->{err};
	}
	return ($t, $answer);
}

printf "%-5s %10s %10s %7s %12s  %s\n", 'query', 'DoSQL s', 'PG s', 'ratio', 'rows recv', 'answer';
my ($logsum, $n) = (0, 0);
for my $q (tpch_queries())
{
	next if %want && !$want{ $q->{name} };
	my $before = tpch_received($router);
	my $t0 = time;
	my $first = tpch_answer($router, $q->{sql});
	my $t1 = time - $t0;
	my $recv = tpch_received($router) - $before;
	my ($rt, $ra) = $first->{err} ? ($t1, $first) : best($router, $q->{sql});
	$rt = $t1 if $t1 < $rt;
	my ($pt, $pa) = best($pg, $q->{sql});
	my $diff = tpch_same($ra, $pa);
	my $ratio = $ra->{err} ? '-' : sprintf('%.2f', $rt / $pt);
	if (!$ra->{err}) { $logsum += log($rt / $pt); $n++; }
	printf "%-5s %10.3f %10.3f %7s %12d  %s\n", $q->{name}, $rt, $pt, $ratio, $recv,
	  $diff eq '' ? 'same (' . scalar(@{ $pa->{rows} }) . ' rows)' : $diff;
}
printf "geometric mean of the ratios over %d queries: %.2f\n", $n, $n ? exp($logsum / $n) : 0;
