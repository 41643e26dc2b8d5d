# The statements of t/sql/18_deparse_parens.sql (operands whose precedence
# needs parentheses: (a IS DISTINCT FROM b) IS NULL, (x IS NULL)::text,
# (ARRAY[a, b])[1], (a = b) IN (...), -(x IS NULL)::int, (NOT f) IS NULL,
# (t AT TIME ZONE 'UTC')::time, ...) through a router over two shards with
# their table sharded by id, so that the router rebuilds each statement for
# the shards and for its own engine (scatter, merge, partial aggregates):
# every answer is PostgreSQL 15's rows, column names and types, or its
# SQLSTATE.
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

my $file = 't/sql/18_deparse_parens.sql';
open(my $fh, '<', $file) or BAIL_OUT("$file: $!");
my @corpus = grep { !/^\s*(--|$)/ } map { s/\s+$//r } <$fh>;
close $fh;
cmp_ok(scalar(@corpus), '>', 20, "$file has its statements");

my $oracle = DoSQL::Test::Oracle->start;
my $cluster = DoSQL::Test::Cluster->new('dp', shards => 2,
	tables => { c18_p => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
$cluster->start;
my %dbopts = (RaiseError => 0, PrintError => 0, AutoCommit => 1);
my %db = (
	postgres => DBI->connect($oracle->dsn, 'postgres', '', \%dbopts),
	router => DBI->connect($cluster->router->dsn, 'dosql', '', \%dbopts),
);
$db{$_} or BAIL_OUT("cannot connect to $_: $DBI::errstr") for sort keys %db;

# the SQLSTATE of an error, not its message (the two servers word some differently)
sub outcome
{
	my $a = answer(@_);
	return $a->{err} ? 'error ' . (split / /, $a->{err})[0] : $a;
}

for my $sql (@corpus)
{
	is_deeply(outcome($db{router}, $sql), outcome($db{postgres}, $sql), "router: $sql");
}
is_deeply(outcome($db{router}, 'SELECT count(*) FROM c18_p'), { rows => '4', columns => 'count:int8' },
	'the table has its rows through the router');
# the rows are spread over both shards, so the statements above scattered
my @counts = map { DBI->connect($_->dsn, 'dosql', '', \%dbopts)->selectrow_array('SELECT count(*) FROM c18_p') }
  $cluster->shards;
is(scalar(grep { $_ && $_ > 0 } @counts), 2, "both shards hold rows of c18_p (@counts)");
ok($cluster->router->is_running, 'the router is alive');

done_testing();
