# The statements of the corpus files t/sql/*.sql (examples of wrong answers
# and crashes that were fixed, and of the SQL applications send, kept as a
# differential corpus) on PostgreSQL 15, one dosql-shard and a router over
# two shards: every answer is PostgreSQL's rows, or an error with
# PostgreSQL's SQLSTATE.  The files run one after the other, in name order,
# on the same databases; a line ending in "-- shard" runs on the shard only.
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

my @corpus;
for my $file (sort glob('t/sql/*.sql'))
{
	open(my $fh, '<', $file) or BAIL_OUT("$file: $!");
	while (my $line = <$fh>)
	{
		chomp $line;
		next if $line =~ /^\s*(--|$)/;
		my @sides = $line =~ s/\s*--\s*shard\s*$// ? ('shard') : qw(shard router);
		push @corpus, [ $line, @sides, "$file:$." ];
	}
	close $fh;
}
cmp_ok(scalar(@corpus), '>', 10, 'the corpus has its statements');

my $oracle = DoSQL::Test::Oracle->start;
my $single = DoSQL::Test::ServerNode->new_shard('pgex');
$single->start;
my $cluster = DoSQL::Test::Cluster->new('pgexr', shards => 2, tables => {});
$cluster->start;

my %dbopts = (RaiseError => 0, PrintError => 0, AutoCommit => 1);
my %db = (
	postgres => DBI->connect($oracle->dsn, 'postgres', '', \%dbopts),
	shard => DBI->connect($single->dsn, 'dosql', '', \%dbopts),
	router => DBI->connect($cluster->router->dsn, 'dosql', '', \%dbopts),
);
$db{$_} or BAIL_OUT("cannot connect to $_: $DBI::errstr") for sort keys %db;

# rows as text, "done" for another statement that succeeds, or "error SQLSTATE"
sub answer
{
	my ($dbh, $sql) = @_;
	if ($sql !~ /^\s*(SELECT|VALUES|WITH|TABLE)\b/i)
	{
		return defined $dbh->do($sql) ? 'done' : 'error ' . $dbh->state;
	}
	my $rows = $dbh->selectall_arrayref($sql);
	return 'error ' . $dbh->state unless $rows;
	return join("\n", map { join('|', map { $_ // 'NULL' } @$_) } @$rows);
}

for my $entry (@corpus)
{
	my ($sql, @sides) = @$entry;
	my $where = pop @sides;
	my $want = answer($db{postgres}, $sql);
	is(answer($db{$_}, $sql), $want, "$_: $sql ($where)") for @sides;
}
# Statements that once ended the shard (a sanitizer error in the test
# build): DoSQL may refuse them, but both processes answer afterwards.
for my $sql ('SELECT UNION SELECT', 'SELECT FROM (VALUES (1)) v UNION ALL SELECT FROM (VALUES (2)) w')
{
	answer($db{$_}, $sql) for qw(shard router);
	is(answer($db{$_}, 'SELECT 1'), '1', "$_ answers after: $sql") for qw(shard router);
}
ok($single->is_running && $cluster->router->is_running, 'the shard and the router are alive');

done_testing();
