# The router in front of four shards: DDL on every shard, rows placed by the
# hash vindex, reads and writes routed by the vindex column, plain reads
# scattered, single-shard transactions, errors relayed with their position,
# writes over several shards outside a transaction (split INSERT, scattered
# UPDATE/DELETE, reference tables), SHOW STATS, a dead shard failing only the
# statements that need it, and 0A000 for what the router does not do yet
# (cross-shard transactions, moving rows, joins).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);
use DoSQL::Test::Utils qw(write_file);
use DoSQL::Test::Wire ();

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }

my @names = ('-40', '40-80', '80-c0', 'c0-');
my @shards = map { DoSQL::Test::ServerNode->new_shard("shard$_") } 0 .. 3;
my $rport = DoSQL::Test::ServerNode::reserve_port();
my $dir = $shards[0]->basedir;
my $shard_list = '[' . join(', ', map { qq({"name": "$names[$_]", "host": "127.0.0.1", "port": ) . $shards[$_]->port . '}' } 0 .. 3) . ']';
write_file("$dir/vschema.json", qq({"sharded": true, "shards": $shard_list,
 "vindexes": {"hash": {"type": "hash"}},
 "tables": {"accounts": {"column_vindexes": [{"column": "id", "name": "hash"}]},
            "m": {"column_vindexes": [{"column": "id", "name": "hash"}]},
            "orders": {"column_vindexes": [{"column": "account_id", "name": "hash"}]},
            "pgbench_accounts": {"column_vindexes": [{"column": "aid", "name": "hash"}]},
            "pgbench_branches": {"column_vindexes": [{"column": "bid", "name": "hash"}]},
            "pgbench_tellers": {"column_vindexes": [{"column": "bid", "name": "hash"}]},
            "countries": {"type": "reference"}}}
));
write_file("$dir/dosql.json", qq({"listen": {"host": "127.0.0.1", "port": $rport}, "auth": "trust",
 "vschema": "vschema.json"}));
my $router = DoSQL::Test::ServerNode->new('router', port => $rport,
	command => [ "$DoSQL::Test::ServerNode::bindir/dosql", '--config', "$dir/dosql.json" ]);
$_->start for @shards;
$router->start;

# DDL reaches every shard
$router->safe_psql('create table accounts (id int primary key, name text, bal int not null)');
is(scalar(grep { $_->safe_psql(q{select count(*) from pg_class where relname = 'accounts'}) eq '1' } @shards), 4,
	'CREATE TABLE ran on every shard');

# rows are placed by the vindex
$router->safe_psql("insert into accounts (id, name, bal) values ($_, 'n$_', $_ * 10)") for 1 .. 40;
my @counts = map { $_->safe_psql('select count(*) from accounts') } @shards;
is(eval { my $t = 0; $t += $_ for @counts; $t }, 40, 'every row is on exactly one shard (' . join('/', @counts) . ')');
ok((grep { $_ > 0 } @counts) >= 3, 'the rows are spread over the shards');
my %where;
for my $i (0 .. 3) {
	$where{$_} = $i for split /,/, $shards[$i]->safe_psql(q{select string_agg(id::text, ',') from accounts});
}

# reads by key go to the shard that has the row
is($router->safe_psql('select name, bal from accounts where id = 17'), 'n17|170', 'read by key');
is($router->safe_psql(q{select name from accounts where id = '23'}), 'n23', q{'23' routes as 23 does});
my @in = sort split /\n/, $router->safe_psql('select name from accounts where id in (3, 4, 5) and bal > 0');
is_deeply(\@in, [qw(n3 n4 n5)], 'IN with several keys reads their shards');
my @all = sort { $a <=> $b } split /\n/, $router->safe_psql('select id from accounts');
is_deeply(\@all, [ 1 .. 40 ], 'a plain read without the key sees every shard');
my ($rc, $out, $err) = $router->psql('select id, name from accounts where bal > 390', flags => [ '-X', '-q' ]);
like($out, qr/^ id \| name \n----\+------\n 40 \| n40\n\(1 row\)/, 'one RowDescription and the total row count');

# writes by key
($rc, $out, $err) = $router->psql('update accounts set bal = bal + 1 where id = 9', flags => [ '-X' ]);
is($out, 'UPDATE 1', 'UPDATE by key');
is($shards[ $where{9} ]->safe_psql('select bal from accounts where id = 9'), '91', 'applied on the shard holding the row');
($rc, $out, $err) = $router->psql('delete from accounts where id = 40', flags => [ '-X' ]);
is($out, 'DELETE 1', 'DELETE by key');

# a read right after BEGIN gives its rows and its own tag
($rc, $out, $err) = $router->psql("begin;\nselect name from accounts where id = 3;\ncommit;", flags => [ '-X' ]);
like($out, qr/BEGIN\n name \n------\n n3\n\(1 row\)\n\nCOMMIT/, 'BEGIN, then a SELECT with its rows');

# single-shard transactions
$router->safe_psql('begin; update accounts set bal = bal + 100 where id = 1; update accounts set bal = bal + 100 where id = 1; commit;');
is($router->safe_psql('select bal from accounts where id = 1'), '210', 'a committed transaction on one shard');
$router->safe_psql('begin; update accounts set bal = 0 where id = 1; rollback;');
is($router->safe_psql('select bal from accounts where id = 1'), '210', 'a rolled-back transaction leaves nothing');
($rc, $out, $err) = $router->psql("begin;\nselect nosuch from accounts where id = 1;\nselect 1;\nrollback;", flags => [ '-X', '-q' ]);
like($err, qr/ERROR:  column "nosuch" does not exist\nLINE 1: select nosuch from accounts where id = 1;\n               \^/,
	'a shard error is relayed with its position');
like($err, qr/current transaction is aborted/, '25P02 until ROLLBACK');
($rc, $out, $err) = $router->psql("insert into accounts (id, name, bal) values (1, 'dup', 1)", flags => [ '-X', '-q' ]);
like($err, qr/duplicate key value violates unique constraint "accounts_pkey"\nDETAIL:  Key \(id\)=\(1\) already exists\./,
	'constraint errors keep their DETAIL');

# cross-shard reads with a final step: run in the router by the same engine
$router->safe_psql('create table m (id int primary key, v int, name text)');
$router->safe_psql("insert into m (id, v, name) values ($_, " . ($_ % 7) . ", 'n$_')") for 1 .. 100;
my ($sum, %groups) = (0);
for (1 .. 100) { $sum += $_ % 7; $groups{ $_ % 7 }++; }
is($router->safe_psql('select count(*), sum(v), min(v), max(v), avg(id) from m'), "100|$sum|0|6|50.5000000000000000",
	'aggregates over every shard, avg with numeric scale');
is($router->safe_psql('select v, count(*) from m group by v order by v'),
	join("\n", map { "$_|$groups{$_}" } sort { $a <=> $b } keys %groups), 'GROUP BY with ORDER BY');
my @top = (sort { ($b % 7) <=> ($a % 7) || $a <=> $b } 1 .. 100)[ 0 .. 4 ];
is($router->safe_psql('select id from m order by v desc, id limit 5'), join("\n", @top), 'ORDER BY ... LIMIT');
is($router->safe_psql('select name from m order by id desc limit 2 offset 3'), "n97\nn96", 'LIMIT with OFFSET');
is($router->safe_psql('select v from m where id > 90 group by v having count(*) > 1 order by v'),
	join("\n", grep { my $k = $_; (grep { $_ % 7 == $k } 91 .. 100) > 1 } 0 .. 6), 'HAVING');
is($router->safe_psql('select count(distinct v), string_agg(distinct (v * 2)::text, \',\') from m where id <= 14'),
	'7|0,10,12,2,4,6,8', 'DISTINCT aggregates');
my $above = grep { $_ % 7 > $sum / 100 } 1 .. 100;
is($router->safe_psql('select count(*) from m where v > (select avg(v) from m)'), $above,
	'a subquery over the whole table sees every shard');
($rc, $out, $err) = $router->psql('select id, v from m where v = 6 order by id limit 2', flags => [ '-X', '-q' ]);
like($out, qr/^ id \| v \n----\+---\n  6 \| 6\n 13 \| 6\n\(2 rows\)/, 'the merged result looks as PostgreSQL shows it');
($rc, $out, $err) = $router->psql('select nosuch from m order by id', flags => [ '-X', '-q' ]);
like($err, qr/column "nosuch" does not exist/, 'errors of the final step are reported');

is(scalar(grep { $_->safe_psql('select count(*) from m') > 0 } @shards), 4, 'm is spread over every shard');
is($router->safe_psql('select count(*) from m where id = 5 and v >= (select avg(v) from m)'), (5 % 7 >= $sum / 100 ? 1 : 0),
	'a key lookup with a subquery over the same table still sees every shard');

# joins of tables sharded alike, on their vindex columns, run whole on each shard
$router->safe_psql('create table orders (oid int primary key, account_id int not null, amount int)');
$router->psql('insert into orders (oid, account_id, amount) values '
	  . join(', ', map { '(' . (100 + $_) . ", " . ($_ % 10 + 1) . ", $_)" } 1 .. 30));
is($router->safe_psql('select a.name, o.oid from accounts a join orders o on o.account_id = a.id where a.id = 3 order by o.oid'),
	"n3|102\nn3|112\nn3|122", 'a colocated join by key');
is(join(',', sort split /\n/, $router->safe_psql('select o.oid, a.name from orders o, accounts a where a.id = o.account_id and o.amount > 27')),
	'128|n9,129|n10,130|n1', 'a colocated join over every shard (join in WHERE)');
is($router->safe_psql('select count(*) from (select 1) x'), '1', 'a FROM-less subquery');
# tables not joined on their vindex: each table's rows gathered into the
# router, the statement run there; the answers computed here from each
# table's rows
my %bal = map { split /\|/ } split /\n/, $router->safe_psql('select id, bal from accounts');
my @ord = map { [ split /\|/ ] } split /\n/, $router->safe_psql('select account_id, amount from orders');
my %amount = map { $_->[1] => 1 } @ord;
my %has_order = map { $_->[0] => 1 } @ord;
my %bals;
$bals{$_}++ for values %bal;
my $pairs = 0;
$pairs += $_ * $_ for values %bals;
is($router->safe_psql('select count(*) from accounts a join orders o on a.bal = o.amount'),
	scalar(grep { $amount{ $bal{$_} } } keys %bal), 'a join on columns other than the vindex');
is($router->safe_psql('select count(*) from accounts a join accounts b on a.bal = b.bal'), $pairs, 'a self-join on another column');
is($router->safe_psql('select count(*) from accounts where id in (select account_id from orders)'),
	scalar(grep { $has_order{$_} } keys %bal), 'IN (a subquery over another sharded table)');
is($router->safe_psql('select count(*) from accounts a left join orders o on a.id = o.account_id or a.bal = 0'),
	scalar(@ord) + scalar(grep { !$has_order{$_} } keys %bal), 'an outer join on an OR');
for my $case (
	[ 'update accounts set bal = o.amount from orders o where o.account_id = accounts.id + 1',
		qr/UPDATE \.\.\. FROM and DELETE \.\.\. USING over tables that are not colocated/ ],
	[ 'select 1 from accounts a join orders o on a.bal = o.amount for update', qr/FOR UPDATE\/SHARE over tables that are not on one shard/ ],
  )
{
	($rc, $out, $err) = $router->psql($case->[0], flags => [ '-X', '-q', '-v', 'VERBOSITY=verbose' ]);
	like($err, qr/ERROR:  0A000: .*$case->[1]/, "refused with 0A000: $case->[0]");
}

# EXPLAIN says how the router runs a statement, then each shard's plan
my $plan = $router->safe_psql('explain select name from accounts where id = 7');
like($plan, qr/^Route Equal shard \Q$names[$where{7}]\E by vindex hash \(id\)\nShard "\Q$names[$where{7}]\E":\n.+/s, 'EXPLAIN of a key lookup names its shard');
$plan = $router->safe_psql('explain select name from accounts where bal > 0');
is(scalar(() = $plan =~ /^Shard "/mg), 4, 'EXPLAIN of a scan shows the plan of every shard');
like($plan, qr/^Route Scatter every shard \(4\)\nShard /, 'and says the rows are concatenated');
like($router->safe_psql('explain select v, count(*) from m group by v order by v'),
	qr/^FinalStep over the rows of "m": SELECT .*\n-> Aggregate the shards group and aggregate, the final step combines their partial results\n  -> Route Scatter every shard \(4\): SELECT v, count\(\*\) AS _dosql_p1 FROM m GROUP BY v\n/,
	'EXPLAIN of aggregates computed in two steps');
like($router->safe_psql('explain select count(distinct v), count(*) from m'),
	qr/^FinalStep over the rows of "m"\n-> Route Scatter every shard \(4\): SELECT \* FROM m\n/, 'EXPLAIN of a merge');
like($router->safe_psql('explain select v from m order by v desc limit 3 offset 2'),
	qr/^Limit 3 offset 2\n-> MergeSort on 1 key of "m", in order as they come\n  -> Route Scatter every shard \(4\): SELECT v FROM m ORDER BY v DESC LIMIT 5\n/,
	'ORDER BY ... LIMIT n OFFSET m: each shard sends only its first n + m rows, merged in order');
like($router->safe_psql('explain select v as w from m order by w limit 3'),
	qr/^Limit 3\n-> MergeSort on 1 key of "m", in order as they come\n  -> Route Scatter every shard \(4\): SELECT v AS w FROM m ORDER BY w LIMIT 3\n/,
	'an output name as the sort key too');
like($router->safe_psql('explain select v from m order by v::text collate "en_US" limit 3 offset 2'),
	qr/^FinalStep over the rows of "m", each shard's first 5 in the query's order\n-> Route Scatter every shard \(4\): SELECT \* FROM m ORDER BY v::text COLLATE "en_US" LIMIT 5\n/,
	'a collation other than C: the first n + m rows, the final step in the router');
($rc, $out, $err) = $router->psql('explain analyze select 1 from accounts', flags => [ '-X', '-q', '-v', 'VERBOSITY=verbose' ]);
like($err, qr/0A000: EXPLAIN ANALYZE through the router/, 'EXPLAIN ANALYZE is refused with 0A000');

# what the router does not do yet is refused with 0A000, never answered differently
my $other = (grep { $where{$_} != $where{1} } 2 .. 39)[0];
for my $case (
	[ 'delete from accounts a using m where m.id = a.id and m.v = a.bal', qr/DELETE \.\.\. USING over tables that are not colocated/ ],
	[ "insert into accounts (id, name, bal) values (1000, 'x', 1), ($other, 'y', 1) on conflict (id) do nothing returning id",
		qr/ON CONFLICT DO NOTHING RETURNING of rows for several shards/ ],
	[ q{insert into accounts (name, bal) values ('x', 1)}, qr/must give its vindex column "id"/ ],
  )
{
	($rc, $out, $err) = $router->psql($case->[0], flags => [ '-X', '-q', '-v', 'VERBOSITY=verbose' ]);
	like($err, qr/ERROR:  0A000: .*$case->[1]/, "refused with 0A000: $case->[0]");
}
is($router->safe_psql('select bal from accounts where id = 1'), '210', 'nothing of the refused statements applied');

# a multi-row INSERT ... RETURNING over several shards gives its rows in
# the order of the VALUES rows, as PostgreSQL does
my @ret_ids = (2001 .. 2012);
is($router->safe_psql('insert into accounts (id, name, bal) values ' . join(', ', map { "($_, 'r$_', $_)" } @ret_ids)
		. ' returning id, name'),
	join("\n", map { "$_|r$_" } @ret_ids), 'INSERT ... RETURNING over several shards: every row, in the VALUES order');
is(scalar(grep { $_->safe_psql('select count(*) from accounts where id > 2000') > 0 } @shards), 4,
	'its rows are on every shard');
$router->safe_psql('delete from accounts where id > 2000');

# an UPDATE of the vindex column moves the rows to the shards of their new keys
my $row5 = $router->safe_psql('select id, name, bal from accounts where id = 5');
my $count = $router->safe_psql('select count(*) from accounts');
($rc, $out, $err) = $router->psql('update accounts set id = id + 1000, bal = bal + 1 where id = 5', flags => [ '-X' ]);
is($out, 'UPDATE 1', 'an UPDATE of the vindex column') or diag($err);
is($router->safe_psql('select id, name, bal from accounts where id = 1005'), '1005|n5|' . ((split /\|/, $row5)[2] + 1),
	'the row is found by its new key');
is(join(',', map { $_->safe_psql('select count(*) from accounts where id in (5, 1005)') } @shards) =~ tr/1//, 1,
	'it is on one shard only');
is($router->safe_psql('select count(*) from accounts'), $count, 'no row lost or doubled');
($rc, $out, $err) = $router->psql('update accounts set id = id - 1000, bal = bal - 1 where id > 1000', flags => [ '-X' ]);
is($out, 'UPDATE 1', 'moved back by an UPDATE over every shard') or diag($err);
is($router->safe_psql('select id, name, bal from accounts where id = 5'), $row5, 'as it was');
my $holder = sub { my ($id) = @_; return (grep { $shards[$_]->safe_psql("select count(*) from accounts where id = $id") } 0 .. 3)[0]; };
my @before = map { $holder->($_) } 2, 3, 4;
($rc, $out, $err) = $router->psql('update accounts set id = id + 3000 where id in (2, 3, 4)', flags => [ '-X' ]);
is($out, 'UPDATE 3', 'several rows move at once');
is(join(',', split /\n/, $router->safe_psql('select id from accounts where id > 3000 order by id')), '3002,3003,3004',
	'... each to its shard');
is(join(',', map { $router->safe_psql("select count(*) from accounts where id = $_") } 3002, 3003, 3004), '1,1,1',
	'... where its key routes');
my @after = map { $holder->($_) } 3002, 3003, 3004;
ok((grep { $before[$_] != $after[$_] } 0 .. 2) > 0, "rows changed shards (@before -> @after)");
$router->safe_psql('update accounts set id = id - 3000 where id > 3000');
($rc, $out, $err) = $router->psql('update accounts set id = 6 where id = 7', flags => [ '-X', '-q', '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  23505/, 'a move onto an existing key fails with 23505');
is($router->safe_psql('select count(*) from accounts where id in (6, 7)'), '2', '... and changes nothing');
$router->safe_psql('begin; update accounts set id = 1007 where id = 7; rollback');
is($router->safe_psql('select count(*) from accounts where id = 7') . $router->safe_psql('select count(*) from accounts where id = 1007'),
	'10', 'a move rolled back leaves the row where it was');
is(join(',', map { $_->safe_psql('select count(*) from pg_prepared_xacts') } @shards), '0,0,0,0',
	'and no prepared transaction behind');

# savepoints over the shards of a transaction: a shard that joined after the
# savepoint is rolled back entirely by ROLLBACK TO
my ($sa, $sb) = (1, $other);
my ($bal_a, $bal_b) = map { $router->safe_psql("select bal from accounts where id = $_") } $sa, $sb;
($rc, $out, $err) = $router->psql("begin; update accounts set bal = bal + 1 where id = $sa; savepoint s1;"
	  . " update accounts set bal = bal + 1 where id = $sb; update accounts set bal = bal + 1 where id = $sa;"
	  . " rollback to s1; update accounts set bal = bal + 10 where id = $sa; savepoint s2;"
	  . " update accounts set bal = bal + 100 where id = $sb; release s2; commit",
	flags => [ '-X', '-v', 'ON_ERROR_STOP=1' ]);
is($out, "BEGIN\nUPDATE 1\nSAVEPOINT\nUPDATE 1\nUPDATE 1\nROLLBACK\nUPDATE 1\nSAVEPOINT\nUPDATE 1\nRELEASE\nCOMMIT",
	'SAVEPOINT, ROLLBACK TO and RELEASE over two shards') or diag($err);
is($router->safe_psql("select bal from accounts where id = $sa") . ',' . $router->safe_psql("select bal from accounts where id = $sb"),
	($bal_a + 11) . ',' . ($bal_b + 100), 'what was rolled back to the savepoint is gone on both shards, the rest committed');
$router->safe_psql("update accounts set bal = bal - 11 where id = $sa");
$router->safe_psql("update accounts set bal = bal - 100 where id = $sb");
($rc, $out, $err) = $router->psql('begin; rollback to nosuch', flags => [ '-X', '-q', '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  3B001: savepoint "nosuch" does not exist/, 'ROLLBACK TO an unknown savepoint: 3B001');

# a repeated query string is parsed once (SHOW PLAN_CACHE counts the hits)
my ($h0) = (split /\|/, $router->safe_psql('show plan_cache'))[1];
$router->safe_psql('select name from accounts where id = 3 /* cached */') for 1 .. 3;
my ($entries, $h1) = split /\|/, $router->safe_psql('show plan_cache');
ok($h1 - $h0 >= 2, "the second and third run of a query string find its parse tree (hits $h0 -> $h1)");
$router->safe_psql(join('', map { "select $_ as n;\n" } 1 .. 600));
($entries) = split /\|/, $router->safe_psql('show plan_cache');
ok($entries > 0 && $entries <= 512, "after 600 new strings the cache keeps at most 512 ($entries)");
is($router->safe_psql('select 7 as n'), '7', 'and still answers');

# statements that differ only in their literals share one tree, and each
# still goes to the shard its key belongs to
my ($e0, $h2) = split /\|/, $router->safe_psql('show plan_cache');
my $st0 = stats();
is(join(',', map { $router->safe_psql("select name from accounts where id = $_") } 1 .. 6), 'n1,n2,n3,n4,n5,n6',
	'six key lookups differing only in the key');
my ($e1, $h3) = split /\|/, $router->safe_psql('show plan_cache');
cmp_ok($h3 - $h2, '>=', 5, "share one parse tree (hits $h2 -> $h3)");
my $st1 = stats();
my %want;
$want{ $names[ $where{$_} ] }++ for 1 .. 6;
is(join(',', map { $st1->{$_} - $st0->{$_} } @names), join(',', map { $want{$_} // 0 } @names),
	'each went to the shard holding its key');
is($router->safe_psql(q{select count(*) from accounts where name = 'n2' or name = 'it''s'}), '1', 'a quoted literal');
is($router->safe_psql('select count(*) from accounts where id in (1, 2, 300)'), '2', 'an IN list of literals');
is($router->safe_psql('select id from accounts where id > 7 order by id limit 2'), "8\n9",
	'a statement of the same shape that needs a final step is planned from its own text');

# a transaction over several shards: rolled back everywhere, or committed
# everywhere with two-phase commit
my $other_bal = $router->safe_psql("select bal from accounts where id = $other");
$router->safe_psql("begin; update accounts set bal = bal + 1 where id = 1; update accounts set bal = bal + 1 where id = $other; rollback;");
is($router->safe_psql("select bal from accounts where id = 1") . ',' . $router->safe_psql("select bal from accounts where id = $other"),
	"210,$other_bal", 'a transaction over two shards rolls back on both');
($rc, $out, $err) = $router->psql("begin; update accounts set bal = bal + 1 where id = 1; update accounts set bal = bal + 1 where id = $other; commit;",
	flags => [ '-X', '-v', 'ON_ERROR_STOP=1' ]);
is($out, "BEGIN\nUPDATE 1\nUPDATE 1\nCOMMIT", 'a transaction over two shards commits') or diag($err);
is($router->safe_psql("select bal from accounts where id = 1") . ',' . $router->safe_psql("select bal from accounts where id = $other"),
	'211,' . ($other_bal + 1), 'on both');
is(join(',', map { $_->safe_psql('select count(*) from pg_prepared_xacts') } @shards), '0,0,0,0',
	'no prepared transaction is left on any shard');
$router->safe_psql("update accounts set bal = bal - 1 where id in (1, $other)");
is($router->safe_psql("select bal from accounts where id = 1") . ',' . $router->safe_psql("select bal from accounts where id = $other"),
	"210,$other_bal", 'an UPDATE over two shards outside a transaction commits on both');
($rc, $out, $err) = $router->psql("update accounts set bal = bal + 1000 / (id - $other) where id in (1, $other)",
	flags => [ '-X', '-q', '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  22012: division by zero/, 'an UPDATE over two shards failing on one of them fails');
is($router->safe_psql("select bal from accounts where id = 1"), '210', '... and changes nothing on the other (atomic)');
is(join(',', map { $_->safe_psql('select count(*) from pg_prepared_xacts') } @shards), '0,0,0,0',
	'and leaves no prepared transaction');
is($router->safe_psql('select count(*) from accounts where id >= 1000'), '0', 'nor of the refused statements');

# writes to several shards outside a transaction (each shard commits its part)
my @new = (1001 .. 1012);
($rc, $out, $err) = $router->psql('insert into accounts (id, name, bal) values '
	  . join(', ', map { "($_, 'm$_', $_)" } @new), flags => [ '-X' ]);
is($out, 'INSERT 0 12', 'a multi-row INSERT split over the shards');
my %new_where;
for my $i (0 .. 3) {
	$new_where{$_} = $i for split /,/, $shards[$i]->safe_psql(q{select string_agg(id::text, ',') from accounts where id > 1000});
}
is(scalar(keys %new_where), 12, 'every row is on one shard');
is(scalar(grep { $router->safe_psql("select name from accounts where id = $_") eq "m$_" } @new), 12,
	'each found where its key routes');
ok(scalar(keys %{ { map { $_ => 1 } values %new_where } }) > 1, 'the rows went to several shards');
($rc, $out, $err) = $router->psql('update accounts set bal = bal + 1 where id > 1000', flags => [ '-X' ]);
is($out, 'UPDATE 12', 'an UPDATE over every shard counts all rows');
is($router->safe_psql('select sum(bal) from accounts where id > 1000'), eval { my $t = 0; $t += $_ + 1 for @new; $t },
	'and changed them all');
($rc, $out, $err) = $router->psql('delete from accounts where id > 1000', flags => [ '-X' ]);
is($out, 'DELETE 12', 'a DELETE over every shard');
$router->safe_psql('create table countries (code text primary key, name text)');
($rc, $out, $err) = $router->psql(q{insert into countries values ('fr', 'France'), ('jp', 'Japan')}, flags => [ '-X' ]);
is($out, 'INSERT 0 2', 'a reference table write reports its rows once');
is(join(',', map { join(' ', split /\n/, $_->safe_psql(q{select code from countries order by code})) } @shards),
	'fr jp,fr jp,fr jp,fr jp', 'and lands on every shard');
($rc, $out, $err) = $router->psql(q{update countries set name = upper(name) returning code, name}, flags => [ '-X', '-A', '-t' ]);
is($out, "fr|FRANCE\njp|JAPAN\nUPDATE 2", 'its RETURNING rows come once');

# SHOW STATS counts per shard the statements sent: a key lookup reaches one
# shard, a scan all four
sub stats
{
	my %st;
	for (split /\n/, $router->safe_psql('show stats')) {
		my ($name, $addr, $n, $e) = split /\|/;
		$st{$name} = $n;
	}
	return \%st;
}
my $before = stats();
is($router->safe_psql('select name from accounts where id = 7'), 'n7', 'a key lookup');
my $after = stats();
is(join(',', map { $after->{$_} - $before->{$_} } @names),
	join(',', map { $_ == $where{7} ? 1 : 0 } 0 .. 3), 'id = 7 reached exactly the shard holding it');
$before = $after;
like($router->safe_psql('select count(*) from accounts where bal > 0'), qr/^\d+$/, 'a scan');
$after = stats();
is(join(',', map { $after->{$_} - $before->{$_} } @names), '1,1,1,1', 'the scan reached every shard once');
like($router->safe_psql('show stats'), qr/^-40\|127\.0\.0\.1:\d+\|\d+\|\d+\|\d+\|\d+\|\d+\|\d+$/m, 'SHOW STATS names shard and address');

# aggregates over several shards: each shard sends one row per group
sub rows_received
{
	my $n = 0;
	$n += (split /\|/)[4] for split /\n/, $router->safe_psql('show stats');
	return $n;
}
my $rows = rows_received();
is($router->safe_psql('select count(*), sum(v), avg(v) from m'), '100|' . $sum . '|' . sprintf('%d.%02d%s', $sum / 100, $sum % 100, '0' x 14),
	'count, sum and avg over every shard');
is(rows_received() - $rows, 4, 'each shard sent one row for them');
$rows = rows_received();
is($router->safe_psql('select v, count(*) from m group by v order by v'),
	join("\n", map { "$_|$groups{$_}" } sort { $a <=> $b } keys %groups), 'GROUP BY');
cmp_ok(rows_received() - $rows, '<=', 4 * 7, 'each shard sent at most one row per group');
$rows = rows_received();
is($router->safe_psql('select count(distinct v), sum(distinct v), max(distinct v) from m'), '7|21|6',
	'DISTINCT aggregates over one column');
cmp_ok(rows_received() - $rows, '<=', 4 * 7, 'each shard sent its distinct values of it');
$rows = rows_received();
is($router->safe_psql('select count(distinct v), count(*) from m'), '7|100', 'a DISTINCT aggregate with another');
is(rows_received() - $rows, 100, 'reads every row');
$router->safe_psql('create table money (id int primary key, amt int)');
$router->safe_psql('insert into money (id, amt) values ' . join(', ', map { "($_, $_)" } 1 .. 20));
is($router->safe_psql('select sum(amt), avg(amt) from money'), '210|10.5000000000000000', 'sum and avg of an int column');
$router->safe_psql('drop table money');
$router->safe_psql('create table money (id int primary key, amt numeric(12,2))');
$router->safe_psql('insert into money (id, amt) values ' . join(', ', map { "($_, $_.50)" } 1 .. 20));
is($router->safe_psql('select sum(amt), avg(amt), min(amt) from money'), '220.00|11.0000000000000000|1.50',
	'after the column became numeric(12,2): its scale, in sum and avg over every shard');

# SHOW VSCHEMA, and where a table outside it goes
like($router->safe_psql('show vschema'), qr/^accounts\|sharded\|hash\(id\)\|4\ncountries\|reference\|\|4\n/,
	'SHOW VSCHEMA lists the placements');
($rc, $out, $err) = $router->psql('create table loose (x int)', flags => [ '-X' ]);
like($err, qr/NOTICE:  table "loose" is not in the VSchema: its rows are kept unsharded on shard "-40"/,
	'CREATE TABLE of a table outside the VSchema says where it goes');
$router->safe_psql('insert into loose values (1), (2)');
is($shards[0]->safe_psql('select count(*) from loose'), '2', 'and its rows are there');

# a query with no table goes to any shard; SET holds for the session
is($router->safe_psql('select 1 + 1'), '2', 'a query without tables');
is($router->safe_psql(q{set application_name = 'via-router'; show application_name}), 'via-router', 'SET and SHOW');

# startup settings reach the shards; a SET of a reported setting is reported
# to the client (ParameterStatus) as PostgreSQL does
my $tz_sql = q{select timestamptz '2024-01-02 03:04:05+00', current_setting('extra_float_digits')};
is($router->safe_psql($tz_sql, env => { PGOPTIONS => '-c TimeZone=Asia/Tokyo -c extra_float_digits=0' }),
	$shards[0]->safe_psql($tz_sql, env => { PGOPTIONS => '-c TimeZone=Asia/Tokyo -c extra_float_digits=0' }),
	'settings in the startup packet apply on the shards');
like($router->safe_psql($tz_sql, env => { PGOPTIONS => '-c TimeZone=Asia/Tokyo' }), qr/^2024-01-02 12:04:05\+09\|/,
	'TimeZone from the startup packet');
{
	my $w = DoSQL::Test::Wire::session($router, TimeZone => 'UTC');
	DoSQL::Test::Wire::send_bytes($w, DoSQL::Test::Wire::msg('Q', "set timezone = 'Europe/Paris'\0"));
	my $r = DoSQL::Test::Wire::read_reply($w, until => 'Z');
	my @ps = map { join('=', split /\0/, $_->[1]) } DoSQL::Test::Wire::messages_of($r, 'S');
	is("@ps", 'TimeZone=Europe/Paris', 'SET TimeZone sends ParameterStatus');
	is(DoSQL::Test::Wire::types($r), 'CSZ', 'after its CommandComplete, as PostgreSQL sends it');
	DoSQL::Test::Wire::send_bytes($w, DoSQL::Test::Wire::msg('Q', "set timezone = 'Europe/Paris'\0"));
	$r = DoSQL::Test::Wire::read_reply($w, until => 'Z');
	is(scalar(DoSQL::Test::Wire::messages_of($r, 'S')), 0, 'not again when unchanged');
	DoSQL::Test::Wire::send_bytes($w, DoSQL::Test::Wire::parse_msg('', "set timezone = 'Asia/Tokyo'")
		  . DoSQL::Test::Wire::bind_msg('', '', [], [], []) . DoSQL::Test::Wire::execute_msg('')
		  . DoSQL::Test::Wire::sync_msg());
	$r = DoSQL::Test::Wire::read_reply($w, until => 'Z');
	is(DoSQL::Test::Wire::types($r), '12CSZ', 'in the extended protocol too, after CommandComplete');
	close $w;
}

# the extended protocol: DBD::Pg prepares, binds and executes through the router
my $dbh = DBI->connect('dbi:Pg:host=127.0.0.1;port=' . $router->port . ';dbname=dosql', 'dosql', '',
	{ RaiseError => 1, PrintError => 0, AutoCommit => 1 });
my $sth = $dbh->prepare('select name, bal from accounts where id = ?');
my @got;
for my $id (2, 3, 17) {
	$sth->execute($id);
	push @got, join(':', $sth->fetchrow_array);
}
is_deeply(\@got, [ 'n2:20', 'n3:30', 'n17:170' ], 'a prepared statement executed with several keys');
is($dbh->do('update accounts set bal = bal + ? where id = ?', undef, 1, 17), 1, 'a parameterized UPDATE');
$dbh->begin_work;
$dbh->do('update accounts set bal = 0 where id = ?', undef, 17);
is(($dbh->selectrow_array('select bal from accounts where id = ?', undef, 17))[0], 0, 'read your own write in a transaction');
$dbh->rollback;
is(($dbh->selectrow_array('select bal from accounts where id = $1', undef, 17))[0], 171, 'rolled back');
my $ok = eval { $dbh->do('insert into accounts (id, name, bal) values (?, ?, ?)', undef, 17, 'dup', 1); 1 };
ok(!$ok && $dbh->state eq '23505', 'a constraint error through the extended protocol');
# in the extended protocol, a write over several shards commits at Sync on all
# of them, or on none
isnt($where{2}, $where{3}, 'rows 2 and 3 are on different shards');
is($dbh->do('update accounts set bal = bal + ? where id in (2, 3)', undef, 5), 2, 'a parameterized UPDATE over two shards');
is(join(',', map { ($dbh->selectrow_array('select bal from accounts where id = ?', undef, $_))[0] } 2, 3), '25,35',
	'... committed on both');
$ok = eval { $dbh->do('update accounts set bal = bal - 5 + 10 / (id - ?) where id in (2, 3)', undef, 3); 1 };
ok(!$ok && $dbh->state eq '22012', 'a parameterized UPDATE over two shards failing on one');
is(join(',', map { ($dbh->selectrow_array('select bal from accounts where id = ?', undef, $_))[0] } 2, 3), '25,35',
	'... changes neither');
is($dbh->do('update accounts set bal = bal - ? where id in (2, 3)', undef, 5), 2, 'and the values go back');
my @scatter = sort { $a <=> $b } @{ $dbh->selectcol_arrayref('select id from accounts where bal > ?', undef, 350) };
is_deeply(\@scatter, [ 36 .. 39 ], 'a parameterized read of every shard');
undef $sth; # DBD::Pg deallocates its statements
# statements are prepared once per shard connection; a text the shard
# cannot prepare fails each time with its own error, and others go on
for (1 .. 2) {
	my $bad = eval { $dbh->selectrow_array('select nosuch from accounts where id = ?', undef, 2); 1 };
	ok(!$bad && $dbh->state eq '42703', "an unpreparable statement fails with 42703 (try $_)");
	is(($dbh->selectrow_array('select name from accounts where id = ?', undef, 2))[0], 'n2', 'the next one works');
}
is_deeply([ map { ($dbh->selectrow_array('select bal from accounts where id = $1', undef, $_))[0] } 2, 3, 17, 3 ],
	[ 20, 30, 171, 30 ], 'one prepared text with several keys and shards');

# a CancelRequest to the router cancels the statement on the shard running it
$dbh->{RaiseError} = 0;
$dbh->do('select pg_sleep(30) from accounts where id = 5', { pg_async => DBD::Pg::PG_ASYNC() });
ok(DoSQL::Test::Utils::poll_until(sub { $router->safe_psql('show pools') =~ /^[^|]*\|[1-9]/m }),
	'SHOW POOLS: a shard connection is active with the statement');
ok(!$dbh->pg_ready, 'a long statement runs through the router');
ok($dbh->pg_cancel, 'CancelRequest sent to the router');
is($dbh->state, '57014', 'the statement is canceled with 57014');
is(($dbh->selectrow_array('select name from accounts where id = 5'))[0], 'n5', 'and the session goes on');
$dbh->disconnect;

# pgbench -S through the router, in every protocol mode
$router->safe_psql('create table pgbench_branches (bid int primary key, bbalance int, filler char(88))');
$router->safe_psql('create table pgbench_tellers (tid int primary key, bid int, tbalance int, filler char(84))');
$router->safe_psql('create table pgbench_accounts (aid int primary key, bid int, abalance int, filler char(84))');
$router->safe_psql('create table pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))');
$router->safe_psql('insert into pgbench_branches (bid, bbalance) values (1, 0)');
$router->safe_psql("insert into pgbench_accounts (aid, bid, abalance) values ($_, 1, 0)") for 1 .. 200;
my $pgbench = "$DoSQL::Test::ServerNode::pg_bindir/pgbench";
for my $mode (qw(simple extended prepared)) {
	($rc, $out, $err) = DoSQL::Test::Utils::run_command(
		[ $pgbench, '-n', '-S', '-c', '4', '-j', '2', '-t', '200', '-M', $mode, '-h', '127.0.0.1', '-p', $router->port,
			'-U', 'dosql', 'dosql' ], timeout => 300);
	is($rc, 0, "pgbench -S -M $mode through the router") or diag($err);
	like($out, qr/number of transactions actually processed: 800\b/, "pgbench -S -M $mode: its 4 x 200 transactions");
	like($out, qr/number of failed transactions: 0 /, "pgbench -S -M $mode: no failed transactions");
}

# a dead shard fails only what needs it, fast, naming it
my $dead = $where{1};
$shards[$dead]->kill9;
($rc, $out, $err) = $router->psql("\\set VERBOSITY verbose\nselect name from accounts where id = 1", flags => [ '-X', '-q' ]);
like($err, qr/ERROR:  08006: .*shard "\Q$names[$dead]\E"/, 'a query on a shard killed with SIGKILL fails with 08006 naming it');
is($router->safe_psql("select name from accounts where id = $other"), "n$other", 'other shards keep serving');
$shards[$dead]->start;
is($router->safe_psql('select name from accounts where id = 1'), 'n1', 'the router reconnects when the shard is back');

done_testing();
