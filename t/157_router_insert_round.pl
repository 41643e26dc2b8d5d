# A numeric value assigned to an integer vindex column through the router:
# PostgreSQL rounds it (numeric to integer: half away from zero; a float:
# to even), so the router places the row by the rounded value.  Each INSERT
# runs through the router (simple protocol, and extended where DBD::Pg
# prepares the statement with its literals) and on PostgreSQL 15, with the
# same outcome (rows or SQLSTATE); the table's rows then agree, and each row
# is found by a WHERE on its key, which the router sends to the key's
# shard only.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::Oracle;
use DoSQL::Test::Answer qw(answer);
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }
require_dependency(DoSQL::Test::Oracle::unavailable());

my $oracle = DoSQL::Test::Oracle->start;
my $cluster = DoSQL::Test::Cluster->new('ir', shards => 4,
	tables => {
		k4 => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		k8 => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
	});
$cluster->start;

my %dbopts = (RaiseError => 0, PrintError => 0, AutoCommit => 1);
my %db = (
	postgres => DBI->connect($oracle->dsn, 'postgres', '', \%dbopts),
	extended => $cluster->router_dbh(\%dbopts),
	simple => $cluster->router_dbh({ %dbopts, pg_server_prepare => 0 }),
);
$db{$_} or BAIL_OUT("cannot connect to $_: $DBI::errstr") for sort keys %db;

for my $dbh ($db{postgres}, $db{simple})
{
	ok($dbh->do($_), $_) or diag($dbh->errstr)
	  for 'CREATE TABLE k4 (id int PRIMARY KEY, via text)', 'CREATE TABLE k8 (id bigint PRIMARY KEY, via text)';
}

# rows, or the SQLSTATE and message (the router does not point into the
# statement for a key's input error)
sub outcome
{
	my $a = answer(@_);
	$a->{err} =~ s/\n.*//s if $a->{err};
	return $a;
}

my @values = ('7.5', '-7.5', '2.5', '-2.5', '0.4', '-0.5', '12.49', '1e1', '1.5e1', '99.99', '149.5e0',
	'2147483647.4', '2147483647.5', '99999999999999999999.5', "'3'", "'4.5'");
my $n = 0;
for my $v (@values)
{
	for my $t ('k4', 'k8')
	{
		for my $via ('simple', 'extended')
		{
			$n++;
			my $sql = "INSERT INTO $t VALUES ($v, '$via $n')";
			my $want = outcome($db{postgres}, $sql);
			my $got = outcome($db{$via}, $sql);
			is_deeply($got, $want, "$via: $sql") or diag(explain($got));
			# the next statement of the same key must not collide
			$db{postgres}->do("DELETE FROM $t WHERE via = '$via $n'");
			$db{$via}->do("DELETE FROM $t WHERE via = '$via $n'");
		}
		my $keep = "INSERT INTO $t VALUES ($v, 'kept')";
		is_deeply(outcome($db{simple}, $keep), outcome($db{postgres}, $keep), "kept: $keep");
	}
}

for my $t ('k4', 'k8')
{
	my $q = "SELECT id, via FROM $t ORDER BY id";
	my $want = answer($db{postgres}, $q);
	is_deeply(answer($db{simple}, $q), $want, "$t holds PostgreSQL's rows");
	for my $id (map { (split /\|/)[0] } split /\n/, $want->{rows})
	{
		my $one = "SELECT id FROM $t WHERE id = $id";
		is(answer($db{simple}, $one)->{rows}, $id, "row $id of $t is on the shard its key routes to");
	}
}
done_testing();
