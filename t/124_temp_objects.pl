# TEMP tables and views on one dosql-shard: created with CREATE TEMP TABLE,
# CREATE TEMP TABLE ... AS, SELECT ... INTO TEMP and CREATE TEMP VIEW, used
# by the session that made them, and gone (with their catalog rows) once
# that session ends, so that another session can create the names again.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DBI;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);
use DoSQL::Test::Utils qw(poll_until);

BEGIN
{
	require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl'));
}

my $shard = DoSQL::Test::ServerNode->new_shard('temp');
$shard->start;
my %opts = (RaiseError => 1, PrintError => 0, AutoCommit => 1);
my $a = DBI->connect($shard->dsn, 'dosql', '', \%opts);

$a->do('CREATE TABLE kept (id int)');
$a->do('INSERT INTO kept VALUES (1), (2), (3)');
$a->do('CREATE TEMP TABLE scratch (id int, note text)');
$a->do(q{INSERT INTO scratch VALUES (1, 'x'), (2, 'y')});
$a->do('CREATE TEMP TABLE copied AS SELECT id * 10 AS big FROM kept');
$a->do('SELECT id INTO TEMP selected FROM kept WHERE id > 1');
$a->do('CREATE TEMP VIEW joined AS SELECT k.id, s.note FROM kept k JOIN scratch s USING (id)');
is_deeply($a->selectall_arrayref('SELECT id, note FROM joined ORDER BY id'), [ [ 1, 'x' ], [ 2, 'y' ] ],
	'the session reads its temp view over its temp table');
is($a->selectrow_array('SELECT sum(big) FROM copied'), 60, 'CREATE TEMP TABLE AS copied the rows');
is($a->selectrow_array('SELECT count(*) FROM selected'), 2, 'SELECT INTO TEMP copied the rows');
$a->do('BEGIN');
$a->do('CREATE TEMP TABLE in_txn (x int)');
$a->disconnect;    # ends with the transaction open

my @temp = qw(scratch copied selected joined in_txn);
my $b = DBI->connect($shard->dsn, 'dosql', '', \%opts);
my $gone = sub {
	my $n = $b->selectrow_array(
		'SELECT count(*) FROM pg_class WHERE relname IN (' . join(', ', map { "'$_'" } @temp) . ')');
	return $n == 0;
};
ok(poll_until($gone), 'the temp relations left pg_class when their session ended');
for my $name (@temp)
{
	my $ok = eval { $b->selectrow_array("SELECT count(*) FROM $name"); 1 };
	is($ok ? 'found' : $b->state, '42P01', "$name does not exist any more");
}
is($b->selectrow_array('SELECT count(*) FROM kept'), 3, 'the permanent table stays');
$b->do('CREATE TEMP TABLE scratch (other text)');
$b->do(q{INSERT INTO scratch VALUES ('again')});
is($b->selectrow_array('SELECT other FROM scratch'), 'again', 'another session creates the name again');
$b->disconnect;
ok($shard->is_running, 'the shard is alive');
done_testing();
