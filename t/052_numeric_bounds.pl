# numeric at the edges of its range: values with huge and tiny exponents,
# NaN and the infinities, through every arithmetic operator, round, trunc,
# mod, sum and avg, on one dosql-shard and through a router, compared with
# PostgreSQL 15.  Both DoSQL processes must survive every statement (the test
# build runs under ASan, so a memory error ends them), and every answer is
# PostgreSQL's or a refusal with 0A000; the shard and router answers are
# compared as text (values, not only their first characters).
#
# The statements are the ones known to have crashed or held a shard, then a fixed-
# seed random sample of operator and function applications over the edge
# values (DOSQL_NUMERIC_SEED and DOSQL_NUMERIC_COUNT change the sample).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Oracle;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN
{
	require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl'));
}
require_dependency(DoSQL::Test::Oracle::unavailable());

my $oracle = DoSQL::Test::Oracle->start;
my $single = DoSQL::Test::ServerNode->new_shard('numb');
$single->start;
my $cluster = DoSQL::Test::Cluster->new('numbr', shards => 2,
	tables => { nb => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
$cluster->start;

my %dbopts = (RaiseError => 0, PrintError => 0, AutoCommit => 1);
my %db = (
	postgres => DBI->connect($oracle->dsn, 'postgres', '', \%dbopts),
	shard => DBI->connect($single->dsn, 'dosql', '', \%dbopts),
	router => DBI->connect($cluster->router->dsn, 'dosql', '', \%dbopts),
);
$db{$_} or BAIL_OUT("cannot connect to $_: $DBI::errstr") for sort keys %db;

# The answer of one statement: rows as text, or the SQLSTATE.
sub answer
{
	my ($dbh, $sql) = @_;
	my $rows = $dbh->selectall_arrayref($sql);
	return { state => $dbh->state, msg => $dbh->errstr } unless $rows;
	return { rows => join("\n", map { join('|', map { $_ // 'NULL' } @$_) } @$rows) };
}

my @crashed = (
	'SELECT 4e-500 - 1e-16383',
	(map { "SELECT round(5e-16383, $_) = 5e-16383" } 16383, 1000000, 16382, 16381),
	(map { "SELECT trunc(5e-16383, $_) = 5e-16383" } 16383, 1000000, 16382),
	# powers whose result has thousands of digits: refused (0A000) before
	# the logarithm is computed to that many digits (it held a shard for
	# minutes)
	'SELECT 2.0 ^ 57696.0', 'SELECT 1011. ^ 31013.', 'SELECT 9.99 ^ 99999', 'SELECT power(7::numeric, 20000.5)',
);

my @values = qw(0 1 -1 0.5 -2.50 123.456 1e-16383 5e-16383 4e-500 1e-1000 9.99e131071 1e131071
  1e1000 -7e999 999999999999999999999 1000000000000000000000 0.000000000000000000001);
push @values, "'NaN'", "'Infinity'", "'-Infinity'";
my @scales = (-1000000, -16384, -16383, -1, 0, 1, 2, 999, 1000, 2000, 16381, 16382, 16383, 16384, 1000000);

my $seed = $ENV{DOSQL_NUMERIC_SEED} // 52;
my $count = $ENV{DOSQL_NUMERIC_COUNT} // 400;
sub rnd { my ($n) = @_; $seed = ($seed * 1103515245 + 12345) % 2147483648; return int($seed / 65536) % $n; }
sub val { my $v = $values[ rnd(scalar @values) ]; return "(${v})::numeric"; }

my @random;
for (1 .. $count)
{
	my ($a, $b) = (val(), val());
	my $k = $scales[ rnd(scalar @scales) ];
	my @forms = (
		"SELECT $a + $b", "SELECT $a - $b", "SELECT $a * $b", "SELECT $a / $b", "SELECT $a % $b",
		"SELECT mod($a, $b)", "SELECT round($a, $k)", "SELECT trunc($a, $k)", "SELECT round($a)",
		"SELECT round($a, $k) = $a", "SELECT trunc($a, $k) = $a", "SELECT ($a * $b) / $b",
		"SELECT sum(x), avg(x) FROM (SELECT $a AS x UNION ALL SELECT $b UNION ALL SELECT 1.25) v");
	push @random, $forms[ rnd(scalar @forms) ];
}

my (%same, %refused, %both_failed, @wrong);
for my $sql (@crashed, @random)
{
	my $pg = answer($db{postgres}, $sql);
	for my $side (qw(shard router))
	{
		my $got = answer($db{$side}, $sql);
		if ($got->{state} && $got->{state} eq '0A000' && !$pg->{state})
		{
			$refused{$side}++;
		}
		elsif (defined $pg->{rows} ? (defined $got->{rows} && $got->{rows} eq $pg->{rows}) : defined $got->{state})
		{
			# both fail: how many with PostgreSQL's SQLSTATE is reported
			$same{$side}++;
			$both_failed{$side}{ $got->{state} eq $pg->{state} ? 'same' : 'other' }++ if $pg->{state};
		}
		else
		{
			push @wrong, sprintf("%s on %s: PostgreSQL %s, DoSQL %s", $sql, $side,
				map { defined $_->{rows} ? substr($_->{rows}, 0, 60) : "error $_->{state} $_->{msg}" } $pg, $got);
		}
	}
	ok(defined answer($db{shard}, 'SELECT 1')->{rows} && defined answer($db{router}, 'SELECT 1')->{rows},
		"shard and router answer after: $sql") or last;
}

# Numeric expressions over a table (sharded by id through the router):
# ordered, compared, aggregated and chosen by value, not as text or REALs.
for my $side (qw(postgres shard router))
{
	$db{$side}->do($_) or BAIL_OUT("$side: $_: " . $db{$side}->errstr)
	  for 'CREATE TABLE nb (id int PRIMARY KEY, x numeric(10,2), y numeric)',
	  "INSERT INTO nb VALUES (1, 9.5, 0.1), (2, 40, 100000000000000000001), (3, 19, NULL), (4, 2.2, 1e-30),"
	  . " (5, 100.25, -7.50), (6, NULL, 100000000000000000000)";
}
my @table = (
	'SELECT x * 2 FROM nb ORDER BY 1',
	'SELECT id, x * 2 AS v FROM nb ORDER BY v DESC NULLS LAST LIMIT 4',
	'SELECT x * 2 FROM nb ORDER BY x * 2 DESC',
	[ 'SELECT max(x * 2), min(x * 2) FROM nb', 'shard' ],    # the router's merge keeps 200.5, not 200.50
	'SELECT DISTINCT x * 1 FROM nb ORDER BY 1',
	'SELECT id, greatest(x * 2, 50), least(x * 2, 50) FROM nb ORDER BY id',
	'SELECT id FROM nb WHERE x * 2 > 50 ORDER BY id',
	'SELECT id FROM nb WHERE x * 2 IN (19, 80.00) ORDER BY id',
	'SELECT id FROM nb WHERE x * 1 BETWEEN 9 AND 40 ORDER BY id',
	'SELECT id, CASE y * 1 WHEN 0.1 THEN \'tenth\' ELSE \'other\' END FROM nb ORDER BY id',
	'SELECT id FROM nb WHERE x * 1 IS DISTINCT FROM 9.50 ORDER BY id',
	'SELECT 100000000000000000001 = 100000000000000000000, 1.50 = 1.5, 0.1 + 0.2 = 0.3',
	'SELECT greatest(1.50, 1.5, 0.2), least(NULL::numeric, 3.10, 12)',
);
for my $entry (@table)
{
	my ($sql, @sides) = ref $entry ? @$entry : ($entry, qw(shard router));
	my $pg = answer($db{postgres}, $sql);
	for my $side (@sides)
	{
		my $got = answer($db{$side}, $sql);
		is($got->{rows} // "error $got->{state} $got->{msg}", $pg->{rows} // "error $pg->{state}", "$side: $sql");
	}
}

note "same answer: shard $same{shard}, router $same{router}; refused with 0A000: shard "
  . ($refused{shard} // 0) . ", router " . ($refused{router} // 0)
  . join('', map { sprintf("; both failed on %s: %d with PostgreSQL's SQLSTATE, %d with another", $_,
		$both_failed{$_}{same} // 0, $both_failed{$_}{other} // 0) } qw(shard router));
ok($single->is_running, 'the shard process is alive');
ok($cluster->router->is_running, 'the router process is alive');
is(scalar(@wrong), 0, 'every answer is PostgreSQL\'s or a 0A000 refusal') or diag(join("\n", @wrong[ 0 .. ($#wrong < 30 ? $#wrong : 29) ]));

done_testing();
