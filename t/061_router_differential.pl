# Differential test of the router: the same tables and rows are loaded into
# a real PostgreSQL 15 (the oracle), a single dosql-shard and a four-shard
# cluster behind dosql (t1 sharded by id, t2 by t1_id so that t1 and t2 join
# on each shard, ref a reference table).  A corpus of SELECTs (filters, key
# lookups, IN lists spanning shards, ORDER BY with ties and LIMIT/OFFSET,
# sort keys not selected, NULLS FIRST/LAST, aggregates over empty and
# non-empty sets, GROUP BY with HAVING, DISTINCT, COUNT(DISTINCT), reference
# and colocated joins, ORDER BY over t3's columns of every type the router
# merges in order as the shard rows come) must give through the router and
# through the single shard what PostgreSQL gives: the same rows (in the same order where ORDER
# BY fixes it, as a multiset otherwise), the same column names and types.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Oracle;
use DoSQL::Test::Answer qw(answer);
use DoSQL::Test::Utils qw(poll_until);
use DoSQL::Test::Wire;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }
require_dependency(DoSQL::Test::Oracle::unavailable());

my $oracle = DoSQL::Test::Oracle->start;
my $cluster = DoSQL::Test::Cluster->new('rd', shards => 4,
	tables => {
		t1 => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		t2 => { column_vindexes => [ { column => 't1_id', name => 'hash' } ] },
		ref => { type => 'reference' },
		t3 => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		t4 => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		t5 => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
	});
$cluster->start;
my $single = DoSQL::Test::ServerNode->new_shard('single');
$single->start;

my %dbopts = (RaiseError => 0, PrintError => 0, AutoCommit => 1);
my %db = (
	postgres => DBI->connect($oracle->dsn, 'postgres', '', \%dbopts),
	router => DBI->connect('dbi:Pg:host=' . $cluster->router->host . ';port=' . $cluster->router->port . ';dbname=dosql',
		'dosql', '', \%dbopts),
	shard => DBI->connect('dbi:Pg:host=' . $single->host . ';port=' . $single->port . ';dbname=dosql',
		'dosql', '', \%dbopts),
);
$db{$_} or BAIL_OUT("cannot connect to $_: $DBI::errstr") for sort keys %db;

# ---------------------------------------------------------------- data
my $seed = 12345;
sub rnd { my ($n) = @_; $seed = ($seed * 1103515245 + 12345) % 2147483648; return int($seed / 65536) % $n; }
my @words = qw(alpha bravo charlie delta echo foxtrot);
sub maybe_null { my ($v, $pct) = @_; return rnd(100) < $pct ? 'NULL' : $v; }

# t3: a value of every type the router merges in order, with NULLs, ties,
# case and accents, signs and float specials (n has a scale: a shard shows
# an unconstrained numeric without its trailing zeros)
my @nums = ('1.5', '1.50', '-2.25', '-2.5', '0', '0.00', '10', '9.99', '123456789.123456789', '-0.001', 'NULL');
my @floats = (q{'NaN'}, q{'Infinity'}, q{'-Infinity'}, '-0', '0', '1.5', '-3.25', '1e10', '2.5', 'NULL');
my @reals = ('0.5', '-1.25', '3', 'NULL', q{'NaN'}, '-0');
my @texts = map { $_ eq 'NULL' ? $_ : "'$_'" }
  ('apple', 'Apple', 'APPLE', "\x{e9}clair", 'Zebra', 'zebra', '', 'a b', 'ab', 'NULL', "\x{c4}rger", "\x{20ac}uro");
my @bpchars = map { $_ eq 'NULL' ? $_ : "'$_'" } ('ab', 'ab  ', 'b', 'A', 'NULL', ' a');
my @dates = map { $_ eq 'NULL' ? $_ : "'$_'" } ('2024-01-31', '2024-02-01', '1999-12-31', '2000-02-29', 'NULL', '2024-01-31');
my @stamps = map { $_ eq 'NULL' ? $_ : "'$_'" }
  ('2024-01-31 10:00:00', '2024-01-31 09:59:59.5', '1999-12-31 23:59:59', 'NULL', '2024-01-31 10:00:00.000001');
my @zoned = map { $_ eq 'NULL' ? $_ : "'$_'" }
  ('2024-01-31 10:00:00+00', '2024-01-31 11:30:00+02', '2024-10-27 02:30:00+02', '2024-10-27 02:10:00+01', 'NULL');
my @uuids = map { $_ eq 'NULL' ? $_ : "'$_'" }
  ('0000000a-0000-0000-0000-000000000000', 'a0000000-0000-0000-0000-000000000000', 'ffffffff-0000-0000-0000-000000000001', 'NULL');
my @bytes = map { $_ eq 'NULL' ? $_ : "'$_'" } ('\\x00ff', '\\x01', '\\x0100', '\\x', 'NULL', '\\xff');
my @t3 = map {
	my $i = $_;
	[ $i, $nums[ rnd(scalar @nums) ], $floats[ rnd(scalar @floats) ], $reals[ rnd(scalar @reals) ], $texts[ rnd(scalar @texts) ], $texts[ rnd(scalar @texts) ],
		$bpchars[ rnd(scalar @bpchars) ], maybe_null(rnd(2) ? 'true' : 'false', 15), $dates[ rnd(scalar @dates) ], $stamps[ rnd(scalar @stamps) ],
		$zoned[ rnd(scalar @zoned) ], $uuids[ rnd(scalar @uuids) ], $bytes[ rnd(scalar @bytes) ], rnd(5) - 2 ]
} 1 .. 60;
my @setup = (
	'create table t1 (id int primary key, a int, b int, c text, d numeric(10,2), e float8, f real)',
	'create table t2 (id int primary key, t1_id int not null, x int, y text)',
	'create table ref (k int primary key, name text)',
	'create table t3 (id int primary key, n numeric(20,3), fl float8, r real, tx text, vc varchar(10), bp char(4), bo bool,'
	  . ' dt date, ts timestamp, tz timestamptz, u uuid, by bytea, g int)',
	'create table t4 (id int primary key, v text)',
	'insert into t3 (id, n, fl, r, tx, vc, bp, bo, dt, ts, tz, u, by, g) values '
	  . join(', ', map { '(' . join(', ', @$_) . ')' } @t3),
	q{insert into ref (k, name) values } . join(', ', map { "($_, 'ref$_')" } 0 .. 7),
);
my @t1 = map {
	[ $_, maybe_null(rnd(50), 10), maybe_null(rnd(10), 8), maybe_null(q{'} . $words[ rnd(6) ] . q{'}, 12),
		maybe_null(sprintf('%d.%02d', rnd(1000), rnd(100)), 5), maybe_null(rnd(4000) / 4, 10), maybe_null(rnd(400) / 8, 10) ]
} 1 .. 200;
my @t2 = map { [ $_, 1 + rnd(200), maybe_null(rnd(100), 10), q{'} . $words[ rnd(6) ] . q{'} ] } 1 .. 300;
for (my $i = 0; $i < @t1; $i += 25)
{
	push @setup, 'insert into t1 (id, a, b, c, d, e, f) values '
	  . join(', ', map { '(' . join(', ', @$_) . ')' } @t1[ $i .. $i + 24 ]);
}
for (my $i = 0; $i < @t2; $i += 25)
{
	push @setup, 'insert into t2 (id, t1_id, x, y) values '
	  . join(', ', map { '(' . join(', ', @$_) . ')' } @t2[ $i .. $i + 24 ]);
}
for my $sql (@setup)
{
	for my $name (sort keys %db)
	{
		$db{$name}->do($sql) or BAIL_OUT("$name: $sql: " . $db{$name}->errstr);
	}
}

my @spread = map { $_->safe_psql('select count(*) from t1') } $cluster->shards;
my $total = 0;
$total += $_ for @spread;
is($total, 200, "the cluster holds every row of t1 once (@spread)");
is(scalar(grep { $_ > 0 } @spread), 4, 'on every shard');
is(join(',', map { $_->safe_psql('select count(*) from ref') } $cluster->shards), '8,8,8,8', 'ref is on every shard');

# ---------------------------------------------------------------- corpus
my @q;
for my $n (0, 5, 10, 20, 25, 30, 40, 45, 49, 60)
{
	push @q, "select id, a, b, c from t1 where a > $n order by id";
	push @q, "select id, d from t1 where a = $n order by id";
	push @q, "select t1.id, ref.name from t1 join ref on ref.k = t1.b where t1.a > $n";
	push @q, "select t1.id, t2.id, t2.x from t1 join t2 on t2.t1_id = t1.id where t1.a < $n";
	push @q, "select count(*), sum(x), min(y) from t2 where x > $n * 2";
}
push @q, "select id, c from t1 where c = '$_' order by id" for @words;
push @q, 'select id from t1 where c is null order by id', 'select id, a, b from t1 where a is null or b is null order by id',
  'select id from t1 where a between 10 and 20 and b <> 3 order by id', q{select id, c from t1 where c like 'e%' order by id},
  'select id, a from t1 where not (a > 10) order by id', 'select id from t1 where d > 500 and d <= 700.5 order by id';
for my $id (1, 17, 50, 99, 150, 199, 200, 201)
{
	push @q, "select * from t1 where id = $id";
	push @q, "select t1.id, t2.id, t2.x from t1 join t2 on t2.t1_id = t1.id where t1.id = $id order by t2.id";
	push @q, "select t1.c, t2.y from t1 left join t2 on t2.t1_id = t1.id where t1.id = $id order by t2.id nulls first";
}
for my $list ('1, 2, 3', '5, 50, 150', '7, 8, 9, 10, 11, 12, 13', '100, 300, 42', '199, 198, 197, 196', '1000')
{
	push @q, "select id, a from t1 where id in ($list) order by id";
	push @q, "select count(*), sum(a) from t1 where id in ($list)";
	push @q, "select id, a from t1 where id in ($list) and a > 10 order by a desc, id";
}
for my $off (0, 3, 7, 190, 250)
{
	push @q, "select id, a from t1 order by a, id limit 5 offset $off";
	push @q, "select id, a from t1 order by a desc nulls last, id desc limit 10 offset $off";
	push @q, "select id, b, c from t1 order by b nulls first, c, id limit 8 offset $off";
	push @q, "select id from t1 order by c desc, id limit 12 offset $off";
	push @q, "select id, d from t1 where a > 20 order by d, id limit 6 offset $off";
	push @q, "select c, a from t1 order by c nulls first, a nulls last, id limit 9 offset $off";
}
for my $f ('', 'where a > 25', 'where a > 1000', 'where b = 3', 'where c is null', 'where id > 150')
{
	push @q, "select count(*), count(a), sum(a), min(a), max(a), avg(a) from t1 $f";
	# a subquery in FROM over the sharded table: the whole statement in the router
	push @q, "select count(*), sum(a) from (select id, a from t1 $f) s";
	push @q, "select b, count(*) from (select b, a * 2 as a2 from t1 $f) s where a2 > 10 group by b order by b";
	push @q, "select sum(d), avg(d), min(c), max(c) from t1 $f";
	push @q, "select count(distinct b), count(distinct c) from t1 $f";
	push @q, "select b, count(*), sum(a), avg(a) from t1 $f group by b order by b";
	push @q, "select max(d) - min(d), count(*) * 2 from t1 $f";
	push @q, "select count(e), sum(e), avg(e), min(e), max(e), sum(f), avg(f) from t1 $f";
	push @q, "select b, avg(e), avg(f), avg(d), sum(d), count(d) from t1 $f group by b order by b";
	push @q, "select count(*)::int, sum(a)::text as s, avg(a)::float8, (count(a) + 1) * 2 from t1 $f";
	push @q, "select b, bool_and(a > 10), bool_or(a > 40), every(c is not null) from t1 $f group by b order by b";
	push @q, "select c, b from t1 $f group by c, b order by b, c";
	push @q, "select t1.b as bb, count(*) as n, max(t1.c) from t1 $f group by t1.b order by n desc, bb limit 4";
	push @q, "select b, avg(a * 2), sum(a + b), avg(e * 2) from t1 $f group by b order by 1";
	push @q, "select b, count(distinct a), sum(distinct a), avg(distinct a), max(distinct a) from t1 $f group by b order by b";
	push @q, "select count(distinct d), avg(distinct d) from t1 $f";
}
for my $n (0, 10, 15, 20, 25, 30)
{
	push @q, "select b, count(*), sum(a) from t1 group by b having count(*) > $n order by b";
	push @q, "select c, count(*) from t1 group by c having sum(a) > $n * 10 order by c";
	push @q, "select c, b, count(*) from t1 where a < $n group by c, b order by c, b";
	push @q, "select b, max(a) - min(a) from t1 group by b having max(a) > $n + 20 order by b";
	push @q, "select b, count(*) from t1 group by b order by count(*) desc, b limit 3";
	push @q, "select t1_id, count(*), sum(x) from t2 group by t1_id having sum(x) > $n * 8 order by t1_id";
	push @q, "select distinct b, c from t1 where a > $n order by b, c";
	push @q, "select distinct c from t1 where b < $n / 3 order by c";
	push @q, "select count(*), b from t1 group by b having avg(a) > $n + 10 order by 2";
	push @q, "select b, count(distinct c), count(c) from t1 group by b order by b";
	push @q, "select c, min(d), max(d), sum(a) from t1 where b <> $n % 10 group by c having min(a) < $n order by sum(a), c";
}
push @q, 'select distinct b from t1 order by b', 'select distinct b from t1 order by b desc nulls last',
  'select count(distinct a) from t1 where b is not null', 'select distinct a % 5 from t1 order by 1',
  'select count(*) from t1 where a > 1000', 'select sum(a), avg(d) from t1 where c = \'nosuch\'',
  'select t2.id, t1.a from t2 join t1 on t1.id = t2.t1_id where t2.x is null';

# ORDER BY over the scatter, merged in order by the router (kmerge.c): every
# type it compares, DESC, NULLS FIRST/LAST, keys not selected, LIMIT/OFFSET,
# shards without rows; id last, so that the order has no ties
for my $col (qw(n fl r tx vc bp bo dt ts tz u by))
{
	push @q, "select id, $col from t3 order by $col, id";
	push @q, "select $col, id from t3 order by $col desc, id desc";
	push @q, "select id from t3 order by $col nulls first, id limit 7 offset 3";
	push @q, "select id, g from t3 order by $col desc nulls last, id limit 5";
	push @q, "select id from t3 order by g, $col, id offset 50";
}
push @q, 'select tx, n, id from t3 order by bo, n desc, tx nulls first, id',
  'select id, tx from t3 order by tx collate "C" desc, id', 'select upper(tx) as ut, id from t3 order by ut, id',
  'select id, g * 2 from t3 order by 2 desc, 1', 'select id from t3 order by n + 1, id limit 10',
  'select id, fl from t3 where fl > -1.0e300 and fl < 1.0e300 order by -fl, id', 'select id, tx as g from t3 order by g, id',
  'select * from t3 order by n, fl, id limit 4 offset 2', 'select id, n from t3 where n > 1000000000 order by n, id',
  'select id, v from t4 order by v, id', 'select id, v from t4 order by id limit 3',
  'select id, tx from t3 where id in (1, 2, 3, 4) order by tx desc, id', 'select id from t3 order by id limit 0',
  'select id from t3 order by id offset 100', 'select id, fl from t3 where fl > 0 order by fl desc, id limit 3',
  'select id, dt, g from t3 where g = 1 order by dt desc, id', 'select id, length(tx) from t3 order by length(tx), id';

# ---------------------------------------------------------------- compare
my ($empty, $nonempty) = (0, 0);
for my $sql (@q)
{
	my $want = answer($db{postgres}, $sql);
	BAIL_OUT("PostgreSQL refuses a query of the corpus: $sql: $want->{err}") if $want->{err};
	$want->{rows} eq '' ? $empty++ : $nonempty++;
	for my $name ('router', 'shard')
	{
		my $got = answer($db{$name}, $sql);
		if ($got->{err})
		{
			fail("$name: $sql");
			diag("error: $got->{err}");
			next;
		}
		is("$got->{columns}\n$got->{rows}", "$want->{columns}\n$want->{rows}", "$name: $sql");
	}
}
cmp_ok(scalar(@q), '>=', 200, 'at least 200 queries in the corpus (' . scalar(@q) . ')');

# the same queries with their constants as bound parameters: the extended
# protocol (DBD::Pg prepares statements with placeholders on the server)
my $bound = 0;
for my $sql (@q)
{
	my @values;
	(my $psql = $sql) =~ s/(>|<|=|<>|\blimit|\boffset)\s+(\d+)(?![\d.])/push @values, $2; "$1 ?"/ge;
	next unless @values;
	$bound++;
	my $want = answer($db{postgres}, $psql, @values);
	BAIL_OUT("PostgreSQL refuses a query of the corpus: $psql: $want->{err}") if $want->{err};
	my $got = answer($db{router}, $psql, @values);
	if ($got->{err})
	{
		fail("router, bound (@values): $psql");
		diag("error: $got->{err}");
		next;
	}
	is("$got->{columns}\n$got->{rows}", "$want->{columns}\n$want->{rows}", "router, bound (@values): $psql");
}
cmp_ok($bound, '>=', 100, "at least 100 queries with bound parameters ($bound)");
cmp_ok($empty, '>=', 5, "some answers are empty ($empty), most are not ($nonempty)");

# the streamed merge is the plan: EXPLAIN says so, and a type the router
# cannot order (interval) keeps the final step
my $explain = sub { join("\n", map { $_->[0] } @{ $db{router}->selectall_arrayref("explain $_[0]") // [] }) };
like($explain->('select id, tx from t3 order by tx desc, id limit 5 offset 2'),
	qr/^Limit 5 offset 2\n-> MergeSort on 2 keys of "t3", in order as they come\n  -> Route Scatter every shard \(4\): SELECT .* LIMIT 7\n/,
	'EXPLAIN: ORDER BY ... LIMIT over the scatter is merged in order, LIMIT n+m on each shard');
like($explain->('select id from t3 order by g desc, id'),
	qr/^MergeSort on 2 keys of "t3", in order as they come\n-> Route Scatter every shard \(4\): SELECT .* ORDER BY g DESC, id\n/,
	'EXPLAIN: ORDER BY without LIMIT is merged in order');
like($explain->('select upper(tx) as ut, id from t3 order by ut, n + 1, length(tx), id limit 10'),
	qr/^Limit 10\n-> MergeSort on 4 keys of "t3", in order as they come\n  -> Route Scatter every shard \(4\): SELECT .* LIMIT 10\n/,
	'EXPLAIN: expression keys (typed by the first shard) are merged in order');
like($explain->(q{select id from t3 order by ts - timestamp '2000-01-01', id}),
	qr/^FinalStep over the rows of "t3"\n-> Route Scatter every shard \(4\): SELECT \* FROM t3\n/,
	'EXPLAIN: an interval sort key keeps the final step in the router');

# the router does not take more rows than the merge needs: with LIMIT 5 each
# of the 4 shards sends at most 5
my $received = sub { my $n = 0; $n += $_->[4] for @{ $db{router}->selectall_arrayref('show stats') }; $n };
my $before = $received->();
my $top = $db{router}->selectall_arrayref('select id, a from t1 order by a desc nulls last, id limit 5');
is(join(',', map { $_->[0] } @$top), join(',', map { $_->[0] } @{ $db{postgres}->selectall_arrayref(
	'select id, a from t1 order by a desc nulls last, id limit 5') }), 'the first 5 rows by a desc');
cmp_ok($received->() - $before, '<=', 20, 'at most 4 x 5 rows came from the shards for LIMIT 5 (t1 has 200)');

# the extended protocol: an Execute's row limit suspends the merged stream
# (the rest waits in the portal)
my $want_ids = join(',', map { $_->[0] } @{ $db{postgres}->selectall_arrayref('select id from t3 order by tx desc, id limit 8 offset 1') });
my $ws = session($cluster->router);
send_bytes($ws, parse_msg('', 'select id, tx from t3 order by tx desc, id limit $1 offset 1') . bind_msg('', '', [0], ['8'], [0])
	  . execute_msg('', 3) . execute_msg('', 3) . execute_msg('', 0) . sync_msg());
my $r = read_reply($ws, until => 'Z');
is(types($r), '12DDDsDDDsDDCZ', 'Execute with a row limit of 3: 3 rows, suspended, 3 rows, suspended, the last 2');
is(join(',', map { (data_row($_->[1]))[0] } messages_of($r, 'D')), $want_ids, 'the rows of the suspended portal in order');
is((messages_of($r, 'C'))[0][1], "SELECT 2\0", 'the last Execute completes with its own row count');
# binary results: the shards send the sort keys in binary too, compared as such
for my $sql ('select id from t3 order by tx desc, id limit 8 offset 1', 'select id from t3 order by n desc, fl, id',
	'select id from t3 order by fl nulls first, r desc, id', 'select id from t3 order by tz, dt desc, ts, id',
	'select id from t3 order by bp, bo, u, by, id', 'select id from t3 order by vc desc, g, id limit 20')
{
	send_bytes($ws, parse_msg('', $sql) . bind_msg('', '', [], [], [1]) . execute_msg('', 0) . sync_msg());
	$r = read_reply($ws, until => 'Z');
	is(join(',', map { my @v = data_row($_->[1]); unpack('N', $v[0]) } messages_of($r, 'D')),
		join(',', map { $_->[0] } @{ $db{postgres}->selectall_arrayref($sql) }), "binary results, in order: $sql");
}
send_bytes($ws, parse_msg('', 'select id from t3 where g > $1 order by n desc, id limit $2') . bind_msg('', '', [0, 0], ['0', '9'], [1])
	  . execute_msg('', 0) . sync_msg());
$r = read_reply($ws, until => 'Z');
is(join(',', map { my @v = data_row($_->[1]); length($v[0]) == 4 ? unpack('N', $v[0]) : "text:$v[0]" } messages_of($r, 'D')),
	join(',', map { $_->[0] } @{ $db{postgres}->selectall_arrayref('select id from t3 where g > 0 order by n desc, id limit 9') }),
	'binary results with bound parameters written into the shards\' statement');
close $ws;

# a long answer streams through a bounded merge: a shard that runs ahead
# is held back once 128 of its rows wait, whatever the number of rows
$db{$_}->do('create table t5 (id int primary key, v int, w text)') or BAIL_OUT($db{$_}->errstr) for qw(postgres router);
for (my $i = 1; $i <= 4000; $i += 500)
{
	my $sql = 'insert into t5 (id, v, w) values '
	  . join(', ', map { "($_, " . (($_ * 7919) % 1000) . ", 'w$_')" } $i .. $i + 499);
	$db{$_}->do($sql) or BAIL_OUT($db{$_}->errstr) for qw(postgres router);
}
my %stats_before = map { $_->[0] => $_->[4] } @{ $db{router}->selectall_arrayref('show stats') };
my $big = 'select id, w from t5 order by v desc, id';
is(join("\n", map { join('|', @$_) } @{ $db{router}->selectall_arrayref($big) }),
	join("\n", map { join('|', @$_) } @{ $db{postgres}->selectall_arrayref($big) }), 'the 4000 rows of t5 in order');
for my $row (@{ $db{router}->selectall_arrayref('show stats') })
{
	my $got = $row->[4] - $stats_before{ $row->[0] };
	cmp_ok($got, '>', 500, "shard $row->[0] sent $got rows of t5");
	cmp_ok($row->[5], '<=', 128, "the merge kept at most 128 of its rows at once ($row->[5])");
}
# a client that does not read holds the shards back: the router takes no
# more of the answer while it has more than 1 MiB unsent, then goes on
my %waits_before = map { $_->[0] => $_->[6] } @{ $db{router}->selectall_arrayref('show stats') };
my %rows_before = map { $_->[0] => $_->[4] } @{ $db{router}->selectall_arrayref('show stats') };
my $slow = session($cluster->router);
send_bytes($slow, msg('Q', "select id, repeat(w, 3000) as big from t5 order by v desc, id\0"));
my $stats_delta = sub {
	my ($col, $before) = @_;
	my $n = 0;
	$n += $_->[$col] - $before->{ $_->[0] } for @{ $db{router}->selectall_arrayref('show stats') };
	return $n;
};
ok(poll_until(sub { $stats_delta->(6, \%waits_before) > 0 }), 'the merge holds the shards back while the client does not read');
my $taken = $stats_delta->(4, \%rows_before);
cmp_ok($taken, '<', 4000, "meanwhile the router took $taken of the 4000 rows from the shards");
$r = read_reply($slow, until => 'Z');
is(join(',', map { my @v = data_row($_->[1]); $v[0] } messages_of($r, 'D')),
	join(',', map { $_->[0] } @{ $db{postgres}->selectall_arrayref('select id from t5 order by v desc, id') }),
	'then the client reads all 4000 rows, in order');
is((messages_of($r, 'C'))[0][1], "SELECT 4000\0", 'SELECT 4000');
close $slow;

# a shard failing while others are held back ends the statement
ok(!$db{router}->do('select id, 1 / (id - 3999) from t5 order by v, id'), 'a shard fails during the merge');
is($db{router}->state, '22012', 'division by zero, from the shard');
is(($db{router}->selectrow_array('select count(*) from t5'))[0], 4000, 'the session goes on');

$_->disconnect for values %db;
$oracle->stop;
done_testing();
