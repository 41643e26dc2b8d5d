# Cluster-wide sequences: serial, bigserial, identity and DEFAULT nextval
# columns of sharded tables take their values from one sequence for the
# whole cluster (blocks reserved on the first shard), through psql (simple
# protocol) and DBD::Pg (extended protocol), with RETURNING giving them
# back; rows route by the value drawn; two routers sharing the shards never
# hand out the same value; a router killed with SIGKILL and started again
# never hands out a value twice.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }
use DBI;

my $two = DoSQL::Test::Cluster::two_routers(tables => { ev => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
	evi => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
	evk => { column_vindexes => [ { column => 'k', name => 'hash' } ] },
	evn => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
	evc => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
my @names = @{ $two->{names} };
my @shards = @{ $two->{shards} };
my @routers = @{ $two->{routers} };
my ($router, $router2) = @routers;

# where each id is, read from the shards themselves
sub placed
{
	my ($table) = @_;
	my %at;
	for my $i (0 .. 3) {
		$at{$_} = $i for grep { length } split /\n/, $shards[$i]->safe_psql("select id from $table");
	}
	return \%at;
}

# bigserial through psql: RETURNING gives the value, rows are placed by it
$router->safe_psql('create table ev (id bigserial primary key, body text)');
is($router->safe_psql(q{insert into ev (body) values ('a') returning id}), '1', 'the first value of a bigserial is 1');
is($router->safe_psql(q{insert into ev (body) values ('b'), ('c'), ('d'), ('e'), ('f') returning id, body}),
	"2|b\n3|c\n4|d\n5|e\n6|f", 'a multi-row INSERT gets one value per row, in order, RETURNING in VALUES order');
is($router->safe_psql(q{insert into ev (id, body) values (default, 'g'), (-5, 'h') returning id}), "7\n-5",
	'DEFAULT in VALUES takes the sequence, a value given is kept');
is($router->safe_psql(q{insert into ev default values returning id}), '8', 'DEFAULT VALUES');
my ($rc, $out, $err) = $router->psql(q{insert into ev (body) values ('i')}, flags => [ '-X' ]);
is($out, 'INSERT 0 1', 'the tag of an INSERT with a sequence value');
my $at = placed('ev');
is(join(',', sort { $a <=> $b } keys %$at), '-5,1,2,3,4,5,6,7,8,9', 'every row is on exactly one shard');
ok((grep { $_ > 0 } map { my $s = $_; scalar grep { $at->{$_} == $s } keys %$at } 0 .. 3) >= 3,
	'the rows are spread over the shards by their id');
is($router->safe_psql('select body from ev where id = 4'), 'd', 'a row is found by the value it was given');

# identity columns, a sequence column that is not the vindex column, DEFAULT nextval
$router->safe_psql('create table evi (id int generated always as identity primary key, body text)');
is($router->safe_psql(q{insert into evi (body) values ('x'), ('y') returning id}), "1\n2", 'GENERATED ALWAYS AS IDENTITY');
$router->safe_psql('create table evk (k int, id serial, body text, primary key (k, id))');
is($router->safe_psql(q{insert into evk (k, body) values (1, 'p'), (2, 'q'), (3, 'r'), (4, 's') returning k, id}),
	"1|1\n2|2\n3|3\n4|4", 'a serial column beside the vindex column takes cluster-wide values');
$router->safe_psql('create sequence evn_seq');
$router->safe_psql(q{create table evn (id int8 default nextval('evn_seq') primary key, body text)});
is($router->safe_psql(q{insert into evn (body) values ('n') returning id}), '1', q{DEFAULT nextval('s')});

# the extended protocol (DBD::Pg prepares with $n placeholders)
my $dbh = DBI->connect($router->dsn, 'dosql', '', { RaiseError => 1, AutoCommit => 1, PrintError => 0 });
my $st = $dbh->prepare('insert into ev (body) values (?) returning id');
my @ids;
for my $b (qw(j k l)) {
	$st->execute($b);
	push @ids, $st->fetchrow_array;
}
is("@ids", '10 11 12', 'a prepared INSERT gets a new value at each execution');
$dbh->begin_work;
$st->execute('m');
my ($in_txn) = $st->fetchrow_array;
$dbh->commit;
is($in_txn, 13, 'in a transaction too');
is($dbh->selectrow_array('select body from ev where id = 13'), 'm', 'the row committed where its id routes');

# two routers: disjoint values
my $dbh2 = DBI->connect($router2->dsn, 'dosql', '', { RaiseError => 1, AutoCommit => 1, PrintError => 0 });
my $st2 = $dbh2->prepare('insert into ev (body) values (?) returning id');
my %seen;
my $dups = 0;
for my $i (1 .. 300) {
	for my $s ($st, $st2) {
		$s->execute("r$i");
		my ($id) = $s->fetchrow_array;
		$dups++ if $seen{$id}++;
	}
}
is($dups, 0, '600 inserts alternating between two routers: no value handed out twice');
is($router->safe_psql('select count(*), count(distinct id) from ev'), '614|614', 'every row is there once');
my ($first2) = $dbh2->selectrow_array(q{select min(id) from ev where body like 'r%' and id > 1000});
is($first2, 1001, 'the second router took the next block');

# a router killed with SIGKILL never hands out a value twice
my ($before) = $dbh->selectrow_array('select max(id) from ev');
undef $st;
$dbh->disconnect;
$router->kill9;
$router->start;
my $after = $router->safe_psql(q{insert into ev (body) values ('after') returning id});
cmp_ok($after, '>', $before, "after a SIGKILL the router goes on above every value handed out ($after > $before)");
is($router->safe_psql('select count(*) - count(distinct id) from ev'), '0', 'no id repeats');

# nextval, currval, setval, lastval: the cluster-wide sequence, PostgreSQL's semantics
$router->safe_psql('create table evf (id bigserial primary key, body text)');
my ($frc, $fout, $ferr) = $router->psql(q{select currval('evf_id_seq')});
like($ferr, qr/currval of sequence "evf_id_seq" is not yet defined in this session/, 'currval before nextval: 55000');
($frc, $fout, $ferr) = $router->psql(q{select lastval()});
like($ferr, qr/lastval is not yet defined in this session/, 'lastval before nextval: 55000');
($frc, $fout, $ferr) = $router->psql(q{select nextval('no_such_seq')});
like($ferr, qr/relation "no_such_seq" does not exist/, 'nextval of no sequence: 42P01');
is($router->safe_psql(q{select nextval('evf_id_seq'); select currval('evf_id_seq'), lastval();
	insert into evf (body) values ('x') returning id; select currval('evf_id_seq'), lastval();
	select setval('evf_id_seq', 100); select nextval('EVF_ID_SEQ'); select setval('public.evf_id_seq', 200, false);
	insert into evf (body) values ('y') returning id; select nextval('evf_id_seq') as a, nextval('evf_id_seq') as b}),
	"1\n1|1\n2\n2|2\n100\n101\n200\n200\n201|202",
	'nextval, currval, lastval, setval (with is_called) and INSERT defaults share one sequence');
my $dbf = DBI->connect($router2->dsn, 'dosql', '', { RaiseError => 1, AutoCommit => 1, PrintError => 0 });
my $nst = $dbf->prepare('select nextval($1)');
$nst->execute('evf_id_seq');
my ($other) = $nst->fetchrow_array;
cmp_ok($other, '>=', 1001, "the other router's nextval comes from its own block ($other)");
is_deeply($dbf->selectall_arrayref(q{select currval('evf_id_seq')}), [ [$other] ], 'its currval, prepared nextval');
undef $nst;
$dbf->disconnect;

# COPY leaving the sequence column out: values from the cluster-wide
# sequence, each row on the shard of its id
$router->safe_psql('create table evc (id bigserial primary key, body text)');
my ($crc, $cout, $cerr) = $router->psql('copy evc (body) from stdin', stdin => join('', map { "c$_\n" } 1 .. 30));
is($crc, 0, 'COPY without the bigserial column') or diag($cerr);
my $seen = $router->safe_psql('select count(distinct id), min(id), max(id) from evc');
is($seen, '30|1|30', 'each row takes the next value of the one sequence');
($crc, $cout, $cerr) = $router2->psql(q{copy evc (body) from stdin with (format csv, header true)},
	stdin => "body\n" . join('', map { "\"d,$_\"\n" } 1 .. 10));
is($crc, 0, 'COPY in CSV with a header through the other router') or diag($cerr);
is($router->safe_psql(q{select count(*), count(distinct id) from evc}), '40|40', 'no value twice across routers');
is($router->safe_psql(q{insert into evc (body) values ('after') returning id}), '31',
	'an INSERT goes on after the values COPY took');
my $atc = placed('evc');
my $wrong = grep {
	my $id = $_;
	my $on = $router->safe_psql("explain select * from evc where id = $id");
	$on !~ /\Q$names[$atc->{$id}]\E/
} keys %$atc;
is($wrong, 0, 'every copied row is on the shard its id routes to');
($crc, $cout, $cerr) = $router->psql(q{insert into evk (k, body) select k + 10, body from evk});
like($cerr, qr/INSERT \.\.\. SELECT leaving out the sequence column "id" through the router is not supported/,
	'INSERT ... SELECT leaving the sequence column out: refused, not the shards\' own sequences');
($crc, $cout, $cerr) = $router->psql(q{copy evc (body) from stdin with (format binary)}, stdin => '');
like($cerr, qr/COPY in binary format leaving out the sequence column "id" is not supported by DoSQL/,
	'binary COPY leaving it out: 0A000');

# the state lives in one place: the first shard's _dosql_sequences
is($shards[0]->safe_psql(q{select name from _dosql_sequences order by name}),
	"public.ev_id_seq\npublic.evc_id_seq\npublic.evf_id_seq\npublic.evi_id_seq\npublic.evk_id_seq\npublic.evn_seq", 'one row per sequence on the first shard');
is($shards[1]->safe_psql(q{select count(*) from pg_class where relname = '_dosql_sequences'}), '0', 'and nowhere else');

undef $st2;
$dbh2->disconnect;
done_testing();
