# A NULL in a sharded table's vindex column, which PostgreSQL accepts when
# the column allows it: INSERT, COPY and an UPDATE setting the key to NULL
# place the row on the shard holding keyspace id 0; `IS NULL` reads that
# shard; the rows read back as PostgreSQL 15 gives them.
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
my $cluster = DoSQL::Test::Cluster->new('nk', shards => 4,
	tables => { events => { column_vindexes => [ { column => 'account', name => 'hash' } ] } });
$cluster->start;
my @shards = $cluster->shards;
my %opts = (RaiseError => 0, PrintError => 0, AutoCommit => 1);
my $pg = DBI->connect($oracle->dsn, 'postgres', '', \%opts) or BAIL_OUT("oracle: $DBI::errstr");
my $rt = $cluster->router_dbh;

for my $db ($pg, $rt) {
	$db->do('create table events (n int primary key, account int, what text)') or BAIL_OUT($db->errstr);
	$db->do(q{insert into events values (1, 10, 'a'), (2, NULL, 'b'), (3, 30, 'c')}) or BAIL_OUT($db->errstr);
	my $st = $db->prepare('insert into events values ($1, $2, $3)');
	$st->execute(4, undef, 'd') or BAIL_OUT($db->errstr);
	$db->do(q{update events set account = NULL where n = 3}) or BAIL_OUT($db->errstr);
}
ok($rt->do(q{copy events from stdin}), 'COPY with a NULL key starts');
$rt->pg_putcopydata("5\t\\N\te\n6\t60\tf\n");
ok($rt->pg_putcopyend, 'and ends');
$pg->do(q{insert into events values (5, NULL, 'e'), (6, 60, 'f')});

is($shards[0]->safe_psql('select n from events where account is null order by n'), "2\n3\n4\n5",
	'every row with a NULL key is on the shard of keyspace id 0');
is(join(',', map { $_->safe_psql('select count(*) from events where account is null') } @shards[1 .. 3]), '0,0,0',
	'and on no other');
for my $q (q{select n, what from events where account is null order by n}, q{select n from events where account = 10},
	q{select count(*) from events}, q{select count(*) from events where account is not null}) {
	is_deeply($rt->selectall_arrayref($q), $pg->selectall_arrayref($q), $q);
}
my ($plan) = grep { /Route/ } @{ $rt->selectcol_arrayref('explain select * from events where account is null') };
like($plan, qr/^Route Equal shard -40/, 'IS NULL on the vindex column reads that one shard');
is($rt->do(q{delete from events where account is null and n > 4}), 1, 'a DELETE of a NULL-key row');
done_testing();
