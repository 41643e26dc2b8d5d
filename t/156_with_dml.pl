# Data-modifying statements in WITH (INSERT/UPDATE/DELETE ... RETURNING as
# WITH queries) sent as simple queries to one dosql-shard, against
# PostgreSQL 15: the same rows, the same tables afterwards, the whole
# statement undone when it fails.  A statement that reads a table its WITH
# queries change is refused with 0A000 (PostgreSQL reads it as it was
# before the statement), as are such statements with parameters (the
# extended protocol).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DBI;
use DoSQL::Test::Answer;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Oracle;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }
require_dependency(DoSQL::Test::Oracle::unavailable());

my $oracle = DoSQL::Test::Oracle->start;
my $shard = DoSQL::Test::ServerNode->new_shard('withdml');
$shard->start;
my %opts = (RaiseError => 0, PrintError => 0, AutoCommit => 1, pg_server_prepare => 0);
my %db = (
	postgres => DBI->connect($oracle->dsn, 'postgres', '', \%opts),
	shard => DBI->connect($shard->dsn, 'dosql', '', \%opts),
);
$db{$_} or BAIL_OUT("cannot connect to $_: $DBI::errstr") for sort keys %db;

# The rows (with the columns' names and types), or the error's SQLSTATE.
sub answer
{
	my $a = DoSQL::Test::Answer::answer(@_);
	return defined $a->{err} ? 'error ' . substr($a->{err}, 0, 5) : "$a->{rows}\n$a->{columns}";
}

my @corpus = (
	'CREATE TABLE wy (a int, b text)',
	q{INSERT INTO wy SELECT g, 'r' || g FROM generate_series(1, 10) g},
	q{WITH t AS (INSERT INTO wy VALUES (11, 'x'), (12, NULL) RETURNING *) SELECT * FROM t ORDER BY a},
	'WITH t AS (UPDATE wy SET a = a + 100 WHERE a > 10 RETURNING a, b) SELECT b, a FROM t ORDER BY a',
	'WITH t AS (DELETE FROM wy WHERE a <= 3 RETURNING *) INSERT INTO wy SELECT -a, b FROM t RETURNING *',
	'SELECT count(*), min(a), max(a) FROM wy',
	'WITH t AS (DELETE FROM wy WHERE a > 1000 RETURNING *) SELECT count(*) FROM t',
	'WITH t AS (DELETE FROM wy WHERE a = 4) SELECT 1 AS one',
	'WITH t AS (INSERT INTO wy VALUES (50) RETURNING a * 2 AS d), u AS (INSERT INTO wy SELECT d FROM t RETURNING a) SELECT * FROM u',
	'WITH t (x) AS (UPDATE wy SET b = upper(b) WHERE a = 5 RETURNING b) SELECT x FROM t',
	'WITH c AS (SELECT 7 AS k), t AS (DELETE FROM wy WHERE a = (SELECT k FROM c) RETURNING a) SELECT a FROM t',
	'WITH t AS (DELETE FROM wy WHERE a = 8 RETURNING *) SELECT a / 0 FROM t',
	q{WITH t AS (INSERT INTO wy VALUES (60, 'it''s') RETURNING b) SELECT b, length(b) FROM t},
	'SELECT a, b FROM wy ORDER BY a',
);
for my $sql (@corpus)
{
	is(answer($db{shard}, $sql), answer($db{postgres}, $sql), $sql);
}

for my $sql ('WITH t AS (UPDATE wy SET a = a + 1 RETURNING *) SELECT * FROM wy',
	'WITH t AS (DELETE FROM wy WHERE a = 9 RETURNING *) SELECT * FROM t JOIN wy USING (a)',
	'WITH t AS (DELETE FROM wy WHERE a = 9 RETURNING *) UPDATE wy SET a = 0 WHERE a = 10')
{
	is(answer($db{shard}, $sql), 'error 0A000', "refused: $sql");
}
is(answer($db{shard}, 'SELECT count(*) FROM wy WHERE a IN (0, 9, 10)'), "2\ncount:int8", 'the refused statements changed nothing');

my $prepared = DBI->connect($shard->dsn, 'dosql', '', { %opts, pg_server_prepare => 1 });
ok(!defined $prepared->selectall_arrayref('WITH t AS (DELETE FROM wy WHERE a = $1 RETURNING *) SELECT * FROM t', undef, 9),
	'a prepared statement with parameters fails');
is($prepared->state, '0A000', 'with 0A000');
is(answer($db{shard}, 'SELECT count(*) FROM wy WHERE a = 9'), "1\ncount:int8", 'and changed nothing');
ok($shard->is_running, 'the shard is alive');
done_testing();
