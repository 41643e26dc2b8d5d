# Cross-shard SQL through the router: the schema of a new user (users
# sharded by id, orders by user_id, items by order_id, products a reference
# table, settings pinned to one shard), with NULLs where they matter (an
# order of a user that is not there, a quantity unknown).  Reads whose tables are not
# colocated (IN / NOT IN / EXISTS / NOT EXISTS and scalar subqueries,
# correlated or not; joins on columns other than the vindex, inner, left,
# right and full, over three tables sharded by different columns; CTEs, also
# recursive; UNION / INTERSECT / EXCEPT with and without ALL over different
# tables; window functions over the join, DISTINCT ON, ordered aggregates,
# GROUPING SETS and ROLLUP, LATERAL, op ANY / ALL) run as a gather: each table's
# rows fetched from its shards into the router's engine, the statement run
# there.  The corpus (at least 400 queries) is the hand-written queries and
# families of the same shapes with ten sets of constants each.  Each query
# is run through the router in the simple protocol and
# in the extended protocol (DBD::Pg prepares it on the server, with its
# constants as bound parameters), and on PostgreSQL 15, and must give the
# same rows (in order where ORDER BY fixes it, as a multiset otherwise) with
# the same column names and types.  EXPLAIN shows the intermediate results
# and the columns and conjuncts pushed down to each table's shards; SHOW
# STATS shows that a pushed-down filter on the vindex column asks one shard
# only, and that an IN (subquery) on the vindex column asks only the shards
# of its values.  Writes after subqueries over other sharded tables and
# INSERT ... SELECT leave the tables as on PostgreSQL, also in a
# transaction that rolls back.  An intermediate result past router_work_mem
# spills and completes; past max_intermediate_result_size it fails with
# 54000, and the router's peak resident memory (/proc) stays bounded.
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
my $cluster = DoSQL::Test::Cluster->new('xs', shards => 4,
	tables => {
		users => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		users_archive => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		orders => { column_vindexes => [ { column => 'user_id', name => 'hash' } ] },
		items => { column_vindexes => [ { column => 'order_id', name => 'hash' } ] },
		products => { type => 'reference' },
		accounts => { column_vindexes => [ { column => 'aid', name => 'hash' } ] },
		branches => { column_vindexes => [ { column => 'bid', name => 'hash' } ] },
		big => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
	},
	router_config => { router_work_mem => '1MB', max_intermediate_result_size => '8MB' });
# AddressSanitizer keeps freed memory (up to 256MB) before reusing it, which
# would count in the router's resident memory measured below: a small
# quarantine keeps the measure the router's own.
$cluster->router->setenv('ASAN_OPTIONS', join(':', grep { length } $ENV{ASAN_OPTIONS} // '', 'quarantine_size_mb=4'));
$cluster->start;

my %dbopts = (RaiseError => 0, PrintError => 0, AutoCommit => 1);
my %db = (
	postgres => DBI->connect($oracle->dsn, 'postgres', '', \%dbopts),
	extended => $cluster->router_dbh(\%dbopts),
	simple => $cluster->router_dbh({ %dbopts, pg_server_prepare => 0 }),
);
$db{$_} or BAIL_OUT("cannot connect to $_: $DBI::errstr") for sort keys %db;

# ---------------------------------------------------------------- data
my $seed = 4242;
sub rnd { my ($n) = @_; $seed = ($seed * 1103515245 + 12345) % 2147483648; return int($seed / 65536) % $n; }
sub maybe_null { my ($v, $pct) = @_; return rnd(100) < $pct ? 'NULL' : $v; }
my @regions = qw(eu us apac);
my @users = map { "($_, 'user$_', " . maybe_null("'$regions[rnd(3)]'", 10) . ', ' . maybe_null(rnd(1000) / 10, 10) . ')' } 1 .. 40;
my @orders = map {
	'(' . join(', ', $_, 1 + rnd(45), 1 + rnd(6), maybe_null(rnd(5), 10), "'note" . rnd(4) . "'") . ')'
} 1 .. 120;
my @items = map { '(' . join(', ', 1 + rnd(130), "'sku" . rnd(15) . "'", maybe_null(rnd(4), 5)) . ')' } 1 .. 200;
my @products = map { "($_, 'product$_', " . ($_ * 2.5) . ')' } 1 .. 5;
my @setup = (
	'create table users (id bigint primary key, name text, region text, score numeric)',
	'create table users_archive (id bigint primary key, name text, region text, score numeric)',
	'create table orders (id bigint primary key, user_id bigint, product_id int, qty int, note text)',
	'create table items (order_id bigint, sku text, n int)',
	'create table products (id int primary key, name text, price numeric)',
	'create table accounts (aid int primary key, bid int, abalance int)',
	'create table branches (bid int primary key, bbalance int)',
	'insert into users values ' . join(', ', @users),
	'insert into orders values ' . join(', ', @orders),
	'insert into items values ' . join(', ', @items),
	'insert into products values ' . join(', ', @products),
	'insert into accounts values ' . join(', ', map { "($_, " . (1 + $_ % 3) . ', ' . ($_ * 7 % 50) . ')' } 1 .. 30),
	'insert into branches values (1, 100), (2, 120), (3, 130)',
);
for my $sql (@setup)
{
	for my $name ('postgres', 'simple')
	{
		$db{$name}->do($sql) or BAIL_OUT("$name: $sql: " . $db{$name}->errstr);
	}
}

# ---------------------------------------------------------------- corpus
my @q = (
	# the issue's statements
	'select name from users where id in (select user_id from orders where qty > 1)',
	'select name from users u where exists (select 1 from orders o where o.user_id = u.id and o.qty > 2)',
	'select o.id, i.sku from orders o join items i on i.order_id = o.id',
	'select u.name, sum(o.qty * p.price) as spent from users u join orders o on o.user_id = u.id'
	  . ' join products p on p.id = o.product_id group by u.name order by spent desc nulls last, u.name',
	'with big as (select user_id, sum(qty) q from orders group by user_id) select * from big where q > 2 order by 1',
	'select id from users union select user_id from orders order by 1',
	'select (select sum(abalance) from accounts) = (select sum(bbalance) from branches)',
	# IN / NOT IN / EXISTS / NOT EXISTS, with NULLs on either side
	'select id from users where id not in (select user_id from orders)',
	'select id from users where id % 5 not in (select qty from orders)',
	'select id from users where id % 5 not in (select qty from orders where qty is not null) order by id',
	'select id from users where id % 4 not in (select n from items where sku = \'sku1\') order by id',
	'select id from users where (id % 5 not in (select qty from orders)) is null order by id',
	'select id from users where id in (select user_id from orders where qty is null) order by id',
	'select id from users u where not exists (select 1 from orders o where o.user_id = u.id) order by id',
	'select id, name from users u where exists (select 1 from orders o where o.user_id = u.id and o.qty is null)',
	'select o.id from orders o where o.user_id not in (select id from users where region = \'eu\') order by o.id',
	'select o.id from orders o where o.qty = any (select n from items where sku = \'sku3\') order by 1',
	'select i.sku, count(*) from items i where i.order_id in (select id from orders where qty >= 3) group by i.sku order by 1',
	# scalar subqueries, correlated and not
	'select u.id, (select count(*) from orders o where o.user_id = u.id) as n from users u order by u.id',
	'select u.id, (select max(qty) from orders o where o.user_id = u.id) as m from users u where u.id < 10 order by 1',
	'select id from orders where qty = (select max(qty) from orders) order by id',
	'select count(*) from users where score > (select avg(qty) * 10 from orders)',
	'select (select name from users where id = 3), (select count(*) from items)',
	# joins on columns other than the vindex, of every kind, three tables
	'select u.id, o.id from users u join orders o on o.product_id = u.id order by 1, 2',
	'select u.id, o.id from users u left join orders o on o.user_id = u.id and o.qty > 2 order by 1, 2',
	'select u.id, o.id from users u right join orders o on o.user_id = u.id order by 2, 1',
	'select u.id, o.id from users u full join orders o on o.user_id = u.id order by 1 nulls first, 2 nulls first',
	'select u.region, count(distinct i.sku) from users u join orders o on o.user_id = u.id'
	  . ' join items i on i.order_id = o.id group by u.region order by 1 nulls first',
	'select o.id, i.n, p.name from orders o join items i on i.order_id = o.id left join products p on p.id = i.n'
	  . ' where o.qty > 1 order by 1, 2, 3',
	'select u.name, o.qty from users u join orders o on o.product_id = u.id where u.region = \'eu\' and o.qty > 1',
	'select u.name, o.qty from users u left join orders o on o.product_id = u.id where o.qty > 1 and region = \'us\'',
	'select u.id, o.id from users u join orders o on o.user_id = u.id + 1 and o.qty < u.score order by 1, 2',
	'select * from users u, orders o where o.user_id = u.id and u.id = 7 order by o.id',
	'select count(*) from users a join users b on a.region = b.region',
	'select i1.sku, i2.order_id from items i1 join items i2 on i1.sku = i2.sku and i1.order_id < i2.order_id'
	  . ' where i1.n = 0 and i2.n = 3 order by 1, 2',
	# CTEs, also recursive over a reference table, and several
	'with o as (select * from orders where qty > 0), u as (select * from users where region is not null)'
	  . ' select u.region, count(*) from u join o on o.user_id = u.id group by 1 order by 1',
	'with recursive r(n) as (select 1 union all select n + 1 from r where n < (select count(*) from products))'
	  . ' select n from r order by n',
	'with recursive chain(id, depth) as (select id, 0 from products where id = 1 union all'
	  . ' select p.id, c.depth + 1 from products p join chain c on p.id = c.id + 1) select * from chain order by 1',
	'with t as (select user_id, count(*) c from orders group by user_id) select u.name, t.c from users u join t on t.user_id = u.id'
	  . ' order by t.c desc, u.name limit 5',
	# set operations over different tables
	'select id from users union all select user_id from orders order by 1 nulls first',
	'select id from users intersect select user_id from orders order by 1',
	'select id from users except select user_id from orders order by 1',
	'select user_id from orders intersect all select id from users order by 1',
	'select user_id from orders except all select id from users order by 1 nulls first',
	'select region from users union select note from orders order by 1 nulls last',
	# window functions over the gathered rows
	'select u.id, o.id, rank() over (partition by u.region order by o.qty desc nulls last, o.id) from users u'
	  . ' join orders o on o.user_id = u.id order by 2',
	'select id, rank() over (order by qty nulls first, id), count(*) over () from orders where user_id in (select id from users) order by id limit 20',
	'select o.id, o.qty, dense_rank() over (order by o.qty desc) from orders o join users u on u.id = o.user_id order by 1',
	'select o.id, row_number() over (order by o.qty, o.id) from orders o where o.user_id in (select id from users'
	  . ' where region = \'apac\') order by 1',
	# aggregates, DISTINCT, LIMIT over the join
	'select region, count(*), sum(qty), avg(qty), max(note) from users u join orders o on o.user_id = u.id'
	  . ' group by region order by region nulls first',
	'select region, count(distinct o.id), sum(score * qty) from users u, orders o where user_id = u.id group by region'
	  . ' having count(*) > 1 order by 1 nulls first',
	'select distinct u.region from users u join orders o on o.user_id = u.id order by 1 nulls first',
	'select p.name, count(o.id), sum(o.qty) from products p left join orders o on o.product_id = p.id group by p.name order by 1',
	'select u.id, count(*) from users u join items i on i.n = u.id % 4 group by u.id having count(*) > 50 order by 1',
	'select o.user_id, avg(i.n) from orders o join items i on i.order_id = o.id group by 1 order by 2 desc, 1 limit 5',
	'select u.id, o.id from users u cross join products o where u.id < 3 order by 1, 2',
	'select o.id from orders o where o.user_id = 5 or o.id in (select order_id from items where n = 2) order by 1',
	# more joins: USING, NATURAL-free self joins, ON expressions, OR, non-equi
	'select o.id, i.sku from orders o join items i on i.order_id = o.id and i.n > 1 order by 1, 2',
	'select o.id, i.sku from orders o left join items i on i.order_id = o.id where i.sku is null order by 1',
	'select i.sku, o.note from items i full join orders o on o.id = i.order_id and o.qty = i.n order by 1 nulls first, 2 nulls first',
	'select u.id, count(o.id) from users u left join orders o on o.user_id = u.id or o.product_id = u.id group by u.id order by 1',
	'select u.id, o.id from users u join orders o on o.qty between u.id - 1 and u.id + 1 where u.id < 4 order by 1, 2',
	'select a.id, b.id from orders a join orders b on a.product_id = b.product_id and a.id < b.id and a.user_id <> b.user_id'
	  . ' where a.id < 10 order by 1, 2',
	'select count(*) from items a join items b using (sku)',
	'select u.name, p.name from users u join products p on p.id = u.id % 6 join orders o on o.product_id = p.id'
	  . ' and o.user_id = u.id order by 1, 2',
	'select x.user_id, x.n, u.name from (select user_id, count(*) n from orders group by user_id) x'
	  . ' join users u on u.id = x.user_id where x.n > 3 order by 2 desc, 1',
	'select u.id from users u where u.id in (select o.user_id from orders o join items i on i.order_id = o.id where i.n = 3) order by 1',
	# subqueries: nested, correlated in SELECT and WHERE, with aggregates, in HAVING
	'select u.id from users u where exists (select 1 from orders o where o.user_id = u.id and exists'
	  . ' (select 1 from items i where i.order_id = o.id and i.n = 0)) order by 1',
	'select u.id, (select count(*) from items i where i.order_id in (select id from orders o where o.user_id = u.id)) from users u'
	  . ' where u.id between 5 and 12 order by 1',
	'select o.user_id, count(*) from orders o group by o.user_id having count(*) > (select avg(c) from'
	  . ' (select count(*) c from orders group by user_id) t) order by 1',
	'select id from orders where qty in (select n from items where sku in (select note from orders) or n = 2) order by 1',
	'select u.region, (select max(o.qty) from orders o join users v on v.id = o.user_id where v.region = u.region)'
	  . ' from users u group by u.region order by 1 nulls last',
	'select id from users where score > all (select qty * 10 from orders where qty is not null and user_id = 1) order by 1',
	'select id from users where not exists (select 1 from orders where orders.user_id = users.id and qty > 3)'
	  . ' and id not in (select order_id from items where order_id is not null) order by 1',
	'select id from users u where (select count(*) from orders o where o.user_id = u.id) = 0 order by 1',
	'select id from users where id = (select max(user_id) from orders)',
	'select id from users where id = (select user_id from orders where id = 9)',
	'select coalesce((select sum(qty) from orders where user_id = 9999), 0)',
	# CTEs over several tables, referenced twice
	'with o as (select user_id, qty from orders where qty is not null) select a.user_id, a.qty, b.qty from o a'
	  . ' join o b on a.user_id = b.user_id and a.qty < b.qty order by 1, 2, 3',
	'with s as (select sku, count(*) c from items group by sku), m as (select max(c) mc from s)'
	  . ' select sku from s, m where c = mc order by 1',
	'with recursive t(id, depth) as (select id, 0 from users where id = 1 union all'
	  . ' select o.id + 100, t.depth + 1 from t join orders o on o.user_id = t.id where t.depth < 2) select count(*), max(depth) from t',
	# set operations over three tables, with ORDER BY and LIMIT
	'select id from users union select user_id from orders union select order_id from items order by 1 limit 10',
	'(select id from users except select user_id from orders) union all (select id from products) order by 1',
	'select region as r from users intersect select note from orders',
	'select count(*) from (select user_id from orders union all select id from users) x',
	'select sku from items where n = 1 except select sku from items where n = 2 order by 1',
	# aggregates and windows over a gather
	'select count(distinct o.user_id), sum(distinct o.qty), avg(u.score) from orders o join users u on u.id = o.product_id',
	'select u.region, count(*) filter (where o.qty > 2), count(*) from users u join orders o on o.user_id = u.id'
	  . ' group by 1 order by 1 nulls first',
	'select u.region, string_agg(u.name, \',\' order by u.name) from users u where u.id in (select user_id from orders'
	  . ' where qty = 4) group by 1 order by 1 nulls first',
	'select o.id, row_number() over (partition by u.region order by o.id) from orders o join users u on u.id = o.user_id'
	  . ' where o.id < 30 order by 1',
	'select distinct on (u.region) u.region, u.id from users u join orders o on o.user_id = u.id order by u.region, u.id',
	'select u.id, o.id from users u join orders o on o.user_id = u.id order by o.qty desc nulls last, o.id limit 5 offset 3',
	'select max(u.name), min(o.note) from users u, orders o where u.id = o.product_id',
	# pinned or reference tables with sharded ones
	'select p.id, (select count(*) from orders o where o.product_id = p.id) from products p order by 1',
	'select o.id from orders o where o.product_id = (select id from products where name = \'product3\') order by 1',
	# a reference table joined with a sharded one, in a subquery
	'select name from products where id in (select product_id from orders where qty = 4) order by 1',
	'select p.name from products p where exists (select 1 from orders o where o.product_id = p.id and o.qty > 3) order by 1',
);

# the corpus grown by families of shapes, each with ten sets of constants:
# $q a quantity (0..4), $n an item count (0..3), $u a user id, $r a region
my @regions3 = ('eu', 'us', 'apac');
my @setops = ('union', 'union all', 'intersect', 'intersect all', 'except', 'except all');
for my $k (0 .. 9)
{
	my ($q, $n, $u, $r) = ($k % 5, $k % 4, 1 + $k * 4, $regions3[ $k % 3 ]);
	push @q,
	  # IN / NOT IN / EXISTS / NOT EXISTS, correlated or not, NULLs on either side
	  "select id from users where id in (select user_id from orders where qty >= $q) order by id",
	  "select id from users where id % 5 not in (select qty from orders where user_id > $u) order by id",
	  "select id from users where id % 4 not in (select n from items where n is not null and order_id < $u + 20) order by id",
	  "select u.id from users u where exists (select 1 from orders o where o.user_id = u.id and o.qty = $q) order by 1",
	  "select u.id from users u where not exists (select 1 from orders o join items i on i.order_id = o.id"
	  . " where o.user_id = u.id and i.n = $n) order by 1",
	  "select o.id from orders o where o.id in (select order_id from items where n = $n) and o.qty is not null order by 1",
	  "select o.id, o.qty from orders o where o.qty = any (select n from items where order_id between $u and $u + 30) order by 1",
	  "select o.id from orders o where o.qty > all (select n from items where order_id = $u) order by 1",
	  # subqueries colocated with one table on the vindex run in its fetch
	  "select u.id from users u where u.id in (select user_id from orders group by user_id having sum(qty) > $q) order by 1",
	  "select o.id, i.sku from orders o join items i on i.order_id = o.id where not exists"
	  . " (select 1 from users u where u.id = o.user_id and u.region = '$r') order by 1, 2",
	  "select u.id from users u where exists (select 1 from orders o where o.user_id = u.id"
	  . " group by o.product_id having count(*) > $n - 2) order by 1",
	  "select id from users where id in (select user_id from orders where qty is not null order by qty, id limit $q + 1) order by 1",
	  "select o.id from orders o where exists (select 1 from users u join products p on p.id = o.product_id"
	  . " where u.id = o.user_id and p.price > $q) order by 1",
	  "select id from users where exists (select 1 from orders where user_id = id and qty = $q) order by 1",
	  # scalar subqueries, correlated and not
	  "select u.id, (select sum(o.qty) from orders o where o.user_id = u.id and o.qty > $q - 1) from users u order by 1",
	  "select u.id, (select count(*) from items i where i.n = u.id % 4) from users u where u.id > $u order by 1",
	  "select count(*) from orders where qty > (select min(n) from items where order_id > $u)",
	  "select id, qty - (select avg(n) from items where order_id < $u + 10) from orders where user_id < $u + 10 order by 1",
	  # joins of three tables sharded by different columns, every kind, on expressions
	  "select u.id, o.id, i.sku from users u join orders o on o.user_id = u.id join items i on i.order_id = o.id"
	  . " where i.n = $n order by 1, 2, 3",
	  "select u.id, o.id from users u left join orders o on o.user_id = u.id and o.qty = $q order by 1, 2 nulls first",
	  "select o.id, i.sku from orders o right join items i on i.order_id = o.id and o.qty > $q"
	  . " where i.order_id < $u + 40 order by 2, 1 nulls first",
	  "select u.id, o.id from users u full join orders o on o.product_id = u.id % 7 and o.qty > $q"
	  . " order by 1 nulls first, 2 nulls first",
	  "select u.id, i.order_id from users u join items i on i.n = u.id % 4 + $n - 2 where u.id < 6 order by 1, 2",
	  "select u.region, o.note, count(*) from users u join orders o on o.user_id = u.id left join items i on i.order_id = o.id"
	  . " and i.n > $n group by 1, 2 order by 1 nulls first, 2",
	  "select p.name, u.region, sum(o.qty) from products p join orders o on o.product_id = p.id"
	  . " full join users u on u.id = o.user_id where coalesce(o.qty, 0) >= $q group by 1, 2 order by 1 nulls first, 2 nulls first",
	  # CTEs, also recursive over the reference table
	  "with t as (select user_id, sum(qty) s from orders where qty > $q - 1 group by user_id)"
	  . " select u.region, sum(t.s) from t join users u on u.id = t.user_id group by 1 order by 1 nulls first",
	  "with recursive r(id, total) as (select id, price from products where id = " . (1 + $k % 5) . " union all"
	  . " select p.id, r.total + p.price from products p join r on p.id = r.id + 1) select * from r order by 1",
	  "with o as (select * from orders where qty >= $q), i as (select * from items where n <= $n)"
	  . " select o.user_id, count(*) from o join i on i.order_id = o.id group by 1 order by 1",
	  # set operations over tables sharded by different columns
	  "select qty from orders where user_id > $u " . $setops[ $k % 6 ] . " select n from items where order_id < 60 order by 1 nulls first",
	  "select user_id from orders where qty = $q " . $setops[ ($k + 3) % 6 ] . " select id from users where region = '$r' order by 1",
	  # windows with and without the vindex in PARTITION BY
	  "select user_id, id, sum(qty) over (partition by user_id order by id) from orders where qty >= $q order by 1, 2",
	  "select id, qty, rank() over (partition by product_id order by qty nulls last) from orders where user_id > $u order by 1",
	  "select u.id, o.id, row_number() over (partition by u.region order by o.id) from users u join orders o"
	  . " on o.user_id = u.id where o.qty <> $q order by 2",
	  "select i.order_id, i.sku, lag(i.n) over (order by i.order_id, i.sku, i.n) from items i where i.order_id in"
	  . " (select id from orders where qty = $q) order by 1, 2, 3 nulls first",
	  # DISTINCT ON, ordered aggregates, GROUPING SETS, LATERAL
	  "select distinct on (user_id) user_id, id, qty from orders where qty >= $q order by user_id, qty desc nulls last, id",
	  "select distinct on (u.region) u.region, o.id from users u join orders o on o.user_id = u.id where o.qty > $q - 1"
	  . " order by u.region nulls first, o.id",
	  "select user_id, string_agg(note, ',' order by id) from orders where qty >= $q group by user_id order by 1",
	  "select u.region, array_agg(o.id order by o.id desc)::text from users u join orders o on o.user_id = u.id"
	  . " where o.qty = $q group by 1 order by 1 nulls first",
	  "select product_id, qty, count(*) from orders where user_id > $u group by grouping sets ((product_id), (qty), ())"
	  . " order by 1 nulls first, 2 nulls first, 3",
	  "select u.region, o.product_id, sum(o.qty) from users u join orders o on o.user_id = u.id where o.qty >= $q"
	  . " group by rollup (u.region, o.product_id) order by 1 nulls first, 2 nulls first, 3",
	  "select u.id, l.id from users u cross join lateral (select o.id from orders o where o.user_id = u.id"
	  . " order by o.qty desc nulls last, o.id limit 2) l where u.id % 5 = $q order by 1, 2",
	  "select u.id, l.c from users u left join lateral (select count(*) c from items i where i.n = u.id % 4"
	  . " and i.order_id < $u + 20) l on true where u.id <= 10 order by 1",
	  # aggregates, HAVING and LIMIT over gathers
	  "select i.sku, count(*), sum(o.qty) from items i join orders o on o.id = i.order_id group by i.sku"
	  . " having count(*) > $q order by 1",
	  "select o.user_id, count(distinct i.sku) from orders o join items i on i.order_id = o.id where o.qty <> $q"
	  . " group by 1 order by 2 desc, 1 limit " . (3 + $k),
	  "select x.sku, x.c, u.name from (select sku, count(*) c from items group by sku) x join users u on u.id = x.c + $k"
	  . " order by 1";
}
push @q, map { "select id from users where id in (select user_id from orders where note = 'note$_') order by id" } 0 .. 3;
# a vindex value that is no value of the key's type compares across types,
# as PostgreSQL compares it, instead of failing to place the statement
push @q, 'select name from users where id = 7.0', 'select name from users where id = 7.5',
  'select name from users where id = 99999999999999999999.0', 'select name from users where id = -9223372036854775809',
  'select name from users where id in (7.0, 8, 99999999999999999999) order by 1',
  'select o.id from users u join orders o on o.user_id = u.id where u.id = 5.0 order by 1',
  'select count(*) from orders where user_id = 12.000';
cmp_ok(scalar(@q), '>=', 400, 'at least 400 queries in the corpus (' . scalar(@q) . ')');

# ---------------------------------------------------------------- compare
my ($empty, $bound) = (0, 0);
for my $sql (@q)
{
	my @values;
	(my $psql = $sql) =~ s/(>|<|=|>=|\blimit)\s+(\d+)(?![\d.])/push @values, $2; "$1 ?"/ge;
	my $want = answer($db{postgres}, $sql);
	BAIL_OUT("PostgreSQL refuses a query of the corpus: $sql: $want->{err}") if $want->{err};
	$empty++ if $want->{rows} eq '';
	for my $run ([ 'simple', $sql ], [ 'extended', $psql, @values ])
	{
		my ($name, $text, @v) = @$run;
		$bound++ if $name eq 'extended' && @v;
		my $got = answer($db{$name}, $text, @v);
		if ($got->{err})
		{
			fail("$name: $text");
			diag("error: $got->{err}");
			next;
		}
		is("$got->{columns}\n$got->{rows}", "$want->{columns}\n$want->{rows}", "$name: $text");
	}
}
cmp_ok($bound, '>=', 20, "queries with bound parameters in the extended protocol ($bound)");
cmp_ok($empty, '<=', @q / 10, "few answers are empty ($empty of " . scalar(@q) . ')');

# ---------------------------------------------------------------- plans
my $explain = sub { join("\n", map { $_->[0] } @{ $db{simple}->selectall_arrayref("explain $_[0]") // [] }) };
like($explain->('select region, count(*), sum(qty) from users u join orders o on o.user_id = u.id group by region'),
	qr/^FinalStep over the rows of "\w+": SELECT region, sum\(_dosql_p1\)::int8 AS count, sum\(_dosql_p2\)::int8 AS sum FROM \w+ GROUP BY region\n-> Aggregate the shards group and aggregate, the final step combines their partial results\n  -> Route Scatter every shard \(4\): SELECT region, count\(\*\) AS _dosql_p1, sum\(qty\) AS _dosql_p2 FROM users u JOIN orders o ON o\.user_id = u\.id GROUP BY region\n/,
	'EXPLAIN: aggregates over a join colocated on the vindex columns run on the shards, the router combines them');
like($explain->(q{select u.name, o.qty from users u join orders o on o.product_id = u.id where u.id = 7 and o.qty > 1}),
	qr/^FinalStep over intermediate results\n-> IntermediateResult "users" in the router's engine\n  -> Route Equal shard \S+: SELECT name, id FROM users u WHERE u\.id = 7\n-> IntermediateResult "orders" in the router's engine\n  -> Route Scatter every shard \(4\): SELECT qty, product_id FROM orders o WHERE o\.qty > 1\n/,
	'EXPLAIN: each table an intermediate result, its columns the statement reads, its own conjuncts pushed down, routed by its vindex');

my @im = $explain->(q{select u.name, o.qty from users u join orders o on o.product_id = u.id where u.id = 7 and o.qty > 1})
  =~ /^Shard "[^"]+", intermediate result "(\w+)":$/mg;
is("@im", 'users orders orders orders orders', 'EXPLAIN: then the plan of each intermediate result on each of its shards');
my $received = sub { my $n = 0; $n += $_->[4] for @{ $db{simple}->selectall_arrayref('show stats') }; $n };
my $before = $received->();
my $rows = $db{simple}->selectall_arrayref('select u.name, o.id from users u join orders o on o.product_id = u.id where u.id = 3 and o.qty = 4');
ok(defined $rows, 'a join on a non-vindex column with a key on one side runs');
my $orders_q4 = $db{postgres}->selectrow_array('select count(*) from orders where qty = 4');
is($received->() - $before, 1 + $orders_q4, 'the shards sent one users row and only the orders rows with qty = 4');

# an uncorrelated IN (subquery) on the vindex column: the subquery's values
# go to the shards as a parameter, only to the shards that hold them
like($explain->('select name from users where id in (select product_id from orders where qty = 4)'),
	qr/^WithSubqueryValues IN every shard \(4\), \$1\.\.\$1 the values of the final step's statements, only to the shards of the "id" values in \$1: SELECT name FROM users WHERE id = ANY\(\$1::int4\[\]\)\n-> FinalStep over intermediate results: SELECT product_id FROM orders WHERE qty = 4;\n  -> IntermediateResult "orders" in the router's engine\n    -> Route Scatter every shard \(4\): SELECT id, product_id, qty FROM orders WHERE qty = 4\n/,
	'EXPLAIN: a semi-join reduction, routed by the vindex');
my $statements = sub { my $n = 0; $n += $_->[2] for @{ $db{simple}->selectall_arrayref('show stats') }; $n };
($before, my $sent) = ($received->(), $statements->());
my $got = answer($db{simple}, "select name from users where id in (select product_id from orders where id = 5)");
is_deeply($got, answer($db{postgres}, "select name from users where id in (select product_id from orders where id = 5)"),
	'a key found by the subquery');
is($received->() - $before, 2, 'the shards sent the one order and the one user');
is($statements->() - $sent, 5, 'the order asked of 4 shards, the user of 1');

# IN / EXISTS over a table colocated with the outer one on the vindex: each
# shard runs the subquery in the outer table's fetch, nothing else is fetched
like($explain->('select name from users where id in (select user_id from orders where qty = 4)'),
	qr/^FinalStep over intermediate results: SELECT name FROM users\n-> IntermediateResult "users" in the router's engine\n  -> Route Scatter every shard \(4\): SELECT name FROM users WHERE id IN \(SELECT user_id FROM orders WHERE qty = 4\)\n/,
	'EXPLAIN: IN (subquery) colocated on the vindex runs on the shards');
like($explain->('select u.name from users u join items i on i.n = u.id where not exists (select 1 from orders o where o.user_id = u.id and o.qty > 2)'),
	qr/^FinalStep over intermediate results: SELECT u\.name FROM users u JOIN items i ON i\.n = u\.id\n-> IntermediateResult "users" in the router's engine\n  -> Route Scatter every shard \(4\): SELECT name, id FROM users u WHERE NOT EXISTS \(SELECT 1 FROM orders o WHERE o\.user_id = u\.id AND o\.qty > 2\)\n-> IntermediateResult "items" in the router's engine\n  -> Route Scatter every shard \(4\): SELECT n FROM items\n/,
	'EXPLAIN: NOT EXISTS colocated with one table of a gather runs in its fetch');
($before, $sent) = ($received->(), $statements->());
$got = answer($db{simple}, "select name from users where id in (select user_id from orders where id = 5)");
is_deeply($got, answer($db{postgres}, "select name from users where id in (select user_id from orders where id = 5)"),
	'a colocated IN (subquery)');
is($received->() - $before, 1, 'the shards sent the one user');
is($statements->() - $sent, 4, 'one statement to each shard');

# a CTE grouped by its table's vindex column runs whole on each shard: the
# router receives one row per group
my $cte = 'with big as (select user_id, sum(qty) q from orders group by user_id) select * from big where q > 2 order by 1';
like($explain->($cte), qr/^FinalStep over intermediate results: SELECT \* FROM big WHERE q > 2 ORDER BY 1\n-> IntermediateResult "big" in the router's engine\n  -> Route Scatter every shard \(4\): SELECT user_id, sum\(qty\) AS q FROM orders GROUP BY user_id\n/,
	'EXPLAIN: the CTE grouped by the vindex column is an intermediate result computed by the shards');
$before = $received->();
is_deeply(answer($db{simple}, $cte), answer($db{postgres}, $cte), 'its answer');
is($received->() - $before, $db{postgres}->selectrow_array('select count(distinct user_id) from orders'),
	'the router received one row per group');

# writes whose subqueries read other sharded tables: the subqueries first,
# in the router's engine, then the write with their values, on both
# servers; the tables must then hold the same rows.  In the extended
# protocol the constants are bound parameters.
my $rows_of = sub {
	my ($name, $table) = @_;
	return answer($db{$name}, "select * from $table order by 1, 2, 3");
};
my @writes = (
	q{update orders set qty = qty + 1 where user_id in (select id from users where region = 'eu')},
	q{update orders set note = 'gone' where user_id not in (select id from users where score > 50)},
	q{update orders set qty = (select max(n) from items) where id = 7},
	q{update orders set qty = 0 where user_id = 5 and product_id in (select n from items where sku = 'sku2')},
	q{delete from items where order_id in (select id from orders where qty = 0)},
	q{delete from items where exists (select 1 from users where region = 'apac' and score > 90) and n = 1},
	q{update users set score = score + 1 where id % 4 not in (select n from items)},
	q{delete from orders where user_id not in (select id from users) and qty < 2},
	q{update orders set qty = 3 from users u where u.id = orders.product_id and u.region = 'eu'},
	q{delete from items i using orders o, users u where i.order_id = o.id and o.user_id = u.id and u.region = 'us'},
	q{delete from orders o using users u where u.id = o.user_id and u.region is null and o.qty = 2},
	q{update orders o set note = u.name from users u where u.id = o.user_id and u.score > 60},
	q{update users set score = 0 from orders o where users.id = o.product_id + 10 and o.qty = 4},
	q{update users set region = 'xx' from orders o where users.id = o.user_id and o.note = 'note1' and users.id < 9},
	q{insert into users_archive select * from users where region = 'eu'},
	q{insert into orders (id, user_id, product_id, qty, note) select id + 1000, id, 1, 2, 'copied' from users where score > 50},
	q{insert into users_archive (id, name) select o.id + 100, u.name from orders o join users u on u.id = o.product_id where o.qty > 2},
	q{insert into products select id + 100, name, score from users where id < 5},
	q{insert into users_archive select * from users where id < 3 on conflict do nothing},
	q{insert into users_archive select id + 1000, name, region, score from users where id > 1000},
	# rows whose key is NULL go where INSERT ... VALUES puts them
	q{insert into orders (id, user_id, qty) select id + 2000, case when id % 7 = 0 then null else id end, 1 from users where id < 15},
);
for my $i (0 .. $#writes)
{
	my $sql = $writes[$i];
	my $name = $i % 2 ? 'extended' : 'simple';
	my @values;
	(my $psql = $sql) =~ s/(>|<|=)\s+(\d+)(?![\d.])/push @values, $2; "$1 ?"/ge if $name eq 'extended';
	my $want = $db{postgres}->do($sql);
	my $got = $db{$name}->do($name eq 'extended' ? $psql : $sql, undef, $name eq 'extended' ? @values : ());
	is($got, $want, "$name: the count of rows written ($want): $sql") or diag($db{$name}->errstr);
	for my $table ('users', 'orders', 'items', 'users_archive', 'products')
	{
		is_deeply($rows_of->('simple', $table), $rows_of->('postgres', $table), "then $table as on PostgreSQL");
	}
}
# INSERT ... SELECT between tables sharded by the same vindex, the key
# copied, runs whole on each shard
like($explain->(q{insert into users_archive (id, name) select id, name from users where score > 10}),
	qr/^Route Scatter every shard \(4\), write\n/, 'EXPLAIN: a colocated INSERT ... SELECT is one statement on each shard');
like($explain->(q{insert into users_archive (id, name) select id + 1, name from users}),
	qr/^InsertSelect Scatter every shard \(4\), each row where its "id" \(column 1\) belongs/, 'and one whose key is computed is split');

# in a transaction that rolls back, nothing stays
my $before_rb = $rows_of->('simple', 'orders');
ok($db{simple}->begin_work, 'BEGIN');
is($db{simple}->do(q{update orders set qty = 99 where user_id in (select id from users where region = 'us')}),
	$db{postgres}->selectrow_array(q{select count(*) from orders where user_id in (select id from users where region = 'us')}),
	'a write after its subquery inside a transaction');
ok($db{simple}->rollback, 'ROLLBACK');
is_deeply($rows_of->('simple', 'orders'), $before_rb, 'rolled back on every shard');
# what a write after its subqueries does not do is refused with 0A000
for my $sql (q{update orders o set qty = 1 where exists (select 1 from users u where u.id = o.product_id)},
	q{update orders set qty = 0 where qty > all (select n from items)},
	q{update orders o set note = u.name from users u where u.id = o.product_id},
	q{delete from orders o using users u where o.product_id = u.id and o.qty = u.score})
{
	my $ok = $db{simple}->do($sql);
	ok(!$ok && ($db{simple}->state // '') eq '0A000', "refused with 0A000: $sql") or diag($db{simple}->errstr);
}

# cursors and COPY TO STDOUT over gathers and semi-joins, through psql
my $script = q{begin;
declare c cursor for select u.name, o.qty from users u join orders o on o.qty > u.id % 5 order by 1, 2;
fetch 3 from c;
fetch forward 2 from c;
close c;
declare d cursor for select name from users where id in (select user_id from orders where qty > 2) order by 1;
fetch all from d;
commit;
copy (select u.name, o.id from users u join orders o on o.user_id = u.id + 1 order by 1, 2) to stdout;
copy (select name from users where id in (select user_id from orders where qty = 1) order by 1) to stdout;
};
my @pflags = ('-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1');
my (undef, $rout, $rerr) = $cluster->router->psql($script, flags => \@pflags);
my (undef, $pout, $perr) = $oracle->psql($script, flags => \@pflags);
is("$rout\n$rerr", "$pout\n$perr", 'cursors and COPY over cross-shard reads give what PostgreSQL gives');
cmp_ok(scalar(split /\n/, $pout), '>=', 8, 'and they have rows');

# intermediate results larger than router_work_mem (1MB here) spill to a
# temporary file and complete; past max_intermediate_result_size (8MB here)
# the statement fails with 54000 naming the setting, and the router goes on
# (the router's peak resident memory, VmHWM in /proc, before them)
sub router_hwm_kb
{
	open(my $fh, '<', '/proc/' . $cluster->router->pid . '/status') or return undef;
	my ($kb) = map { /^VmHWM:\s+(\d+)/ ? $1 : () } <$fh>;
	return $kb;
}
my $hwm = router_hwm_kb();
ok(defined $hwm, "the router's peak resident memory is read from /proc ($hwm kB)");
my $pad = 'x' x 500;
for my $name ('postgres', 'simple')
{
	my $dbh = $db{$name};
	$dbh->do('create table big (id int primary key, pad text)') or BAIL_OUT("$name: " . $dbh->errstr);
	$dbh->do('copy big from stdin') or BAIL_OUT("$name: copy: " . $dbh->errstr);
	$dbh->pg_putcopydata("$_\t$pad$_\n") for 1 .. 20000;
	$dbh->pg_putcopyend() or BAIL_OUT("$name: copy end: " . $dbh->errstr);
}
my $spill = 'select u.region, count(*), sum(length(b.pad)), max(b.pad) from big b join users u on u.id = b.id % 41'
  . ' where b.id <= 9000 group by u.region order by 1';
my $want = answer($db{postgres}, $spill);
is_deeply(answer($db{simple}, $spill), $want, 'an intermediate result of some 4.5MB, past router_work_mem, gives PostgreSQL\'s answer');
my $over = 'select count(*), max(b.pad) from big b join users u on u.id = b.id % 41';
my $narrow = 'select count(*) from big b join users u on u.id = b.id % 41';
is_deeply(answer($db{simple}, $narrow), answer($db{postgres}, $narrow),
	'the same join reading only the key of big: its intermediate result is small enough');
is(answer($db{simple}, $over)->{err},
	'54000 ERROR:  the intermediate result size exceeds max_intermediate_result_size (currently 8192 kB)',
	'an intermediate result of some 10MB fails with 54000 naming max_intermediate_result_size');
is_deeply(answer($db{extended}, $spill), $want, 'and the router goes on answering');

# The router's resident memory stays bounded while such statements run: over
# the COPY and the runs above and four more of each (some 90MB of rows
# through the router), its peak grows by less than 24MB (a leak or a result
# held per statement would pass that by the third run).
for (1 .. 4)
{
	answer($db{simple}, $over);
	answer($db{simple}, $spill);
}
my $grown = router_hwm_kb() - $hwm;
cmp_ok($grown, '<', 24 * 1024, "and it grew by $grown kB over some 90MB of rows, less than 24MB");
is_deeply(answer($db{simple}, $spill), $want, 'the answers stay the same');
done_testing();
