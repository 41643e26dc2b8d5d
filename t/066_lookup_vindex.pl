# lookup_unique and lookup vindexes through the real router: a users table
# sharded by id with a lookup_unique vindex on email (its lookup table
# sharded by email) and a lookup vindex on team (its lookup table pinned).
# INSERTs write the lookup rows in the same transaction, on the shards the
# lookup tables place them; a second row with an email any shard holds is
# 23505 as PostgreSQL reports it (checked against PostgreSQL 15 with
# UNIQUE (email)), also in a transaction block and from a prepared
# statement; a failed INSERT leaves neither its rows nor its lookup rows;
# concurrent sessions inserting the same email into rows on different
# shards: exactly one wins; DELETE takes the lookup rows with it.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::Oracle;
use DoSQL::Test::Utils qw(poll_until);
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }
use DBI;
use POSIX ();
require_dependency(DoSQL::Test::Oracle::unavailable());

my $oracle = DoSQL::Test::Oracle->start;
my $cluster = DoSQL::Test::Cluster->new('lv', shards => 4,
	vschema => {
		vindexes => {
			hash => { type => 'hash' },
			email_uq => { type => 'lookup_unique', params => { table => 'users_email', from => 'email', to => 'keyspace_id' } },
			team_lk => { type => 'lookup', params => { table => 'users_team', from => 'team', to => 'keyspace_id' } },
		},
		tables => {
			users => { column_vindexes => [ { column => 'id', name => 'hash' }, { column => 'email', name => 'email_uq' },
					{ column => 'team', name => 'team_lk' } ] },
			users_email => { column_vindexes => [ { column => 'email', name => 'hash' } ] },
			users_team => { pinned => 'c0-' },
			orders => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		},
	});
$cluster->start;
my @shards = $cluster->shards;
my $router = $cluster->router;
my %opts = (RaiseError => 0, PrintError => 0, AutoCommit => 1);
my $rdsn = 'dbi:Pg:host=' . $router->host . ';port=' . $router->port . ';dbname=dosql';
my $pg = DBI->connect($oracle->dsn, 'postgres', '', \%opts) or BAIL_OUT("oracle: $DBI::errstr");
my $rt = $cluster->router_dbh;

$pg->do('create table users (id int primary key, email text unique, team text, name text)') or BAIL_OUT($pg->errstr);
$rt->do('create table users (id int primary key, email text unique, team text, name text)') or BAIL_OUT($rt->errstr);
$rt->do('create table users_email (email text primary key, keyspace_id int8 not null)') or BAIL_OUT($rt->errstr);
$rt->do('create table users_team (team text, keyspace_id int8, primary key (team, keyspace_id))') or BAIL_OUT($rt->errstr);

# a UNIQUE without the vindex column holds per shard only: a NOTICE says so
my ($nrc, $nout, $nerr) = $router->psql(
	'create table orders (id int primary key, ref text unique, a int, b int, unique (a, b), unique (id, a))');
is($nrc, 0, 'CREATE TABLE of a sharded table with UNIQUE constraints');
like($nerr, qr/NOTICE:  constraint "orders_ref_key" of the sharded table "orders" holds on each shard only: it does not include the vindex column "id", so rows on different shards can repeat \(ref\)\nHINT:  A lookup_unique vindex on "ref" in the VSchema makes it hold across the cluster\./,
	'a NOTICE for UNIQUE (ref), suggesting a lookup_unique vindex');
like($nerr, qr/constraint "orders_a_b_key" .* repeat \(a, b\)/, 'and for UNIQUE (a, b)');
unlike($nerr, qr/orders_pkey|orders_id_a_key/, 'none for constraints that include the vindex column');
($nrc, $nout, $nerr) = $router->psql('create table users_email2 (email text primary key, keyspace_id int8)');
unlike($nerr, qr/holds on each shard only/, 'none for a table not sharded');
($nrc, $nout, $nerr) = $router->psql('create table users_tmp (id int primary key, email text unique)');
unlike($nerr, qr/holds on each shard only/, 'none for an unplaced table');

# the shard each id is placed on, and each email's lookup row
sub where_is
{
	my ($table, $col, $value) = @_;
	my @on = grep { $shards[$_]->safe_psql("select count(*) from $table where $col = '$value'") ne '0' } 0 .. 3;
	return join(',', @on);
}

for my $db ($pg, $rt) {
	$db->do(q{insert into users (id, email, team, name) values (1, 'a@x', 'red', 'A')}) or BAIL_OUT($db->errstr);
	$db->do(q{insert into users values (2, 'b@x', 'red', 'B'), (3, 'c@x', 'blue', 'C'), (4, NULL, NULL, 'D'), (5, NULL, 'blue', 'E')})
	  or BAIL_OUT($db->errstr);
}
is($rt->selectrow_array('select count(*) from users_email'), 3, 'one lookup row per non-NULL email');
is($shards[3]->safe_psql('select count(*) from users_team'), '4', 'the team lookup rows on its pinned shard');
my $ok = 1;
for my $e ('a@x', 'b@x', 'c@x') {
	my $ksid = $rt->selectrow_array("select keyspace_id from users_email where email = '$e'");
	my $on = where_is('users_email', 'email', $e);
	$ok &&= $on =~ /^\d$/;
	my $id = $rt->selectrow_array("select id from users where email = '$e'");
	$ok &&= where_is('users', 'id', $id) =~ /^\d$/ && defined $ksid;
}
ok($ok, 'each lookup row is on one shard, each user on one shard');

# reads by email go to the shard the lookup names
my @names = ('-40', '40-80', '80-c0', 'c0-');
for my $e ('a@x', 'c@x') {
	my $id = $rt->selectrow_array("select id from users where email = '$e'");
	my $on = $names[ where_is('users', 'id', $id) ];
	my ($plan) = grep { /Route/ } @{ $rt->selectcol_arrayref("explain select * from users where email = '$e'") };
	is($plan, "Route Lookup shard $on by vindex email_uq (email)", "a read by email $e reads the one shard holding its row ($on)");
}
is_deeply($rt->selectall_arrayref(q{select id, name from users where email = 'c@x'}), [ [ 3, 'C' ] ], 'and finds it');
is_deeply($rt->selectall_arrayref(q{select id from users where email in ('a@x', 'b@x', 'nobody@x') order by id}),
	[ [1], [2] ], 'IN over the lookup column');
is_deeply($rt->selectall_arrayref(q{select id from users where email = 'nobody@x'}), [], 'a value no row has');
my ($team_plan) = grep { /Route/ } @{ $rt->selectcol_arrayref(q{explain select * from users where team = 'blue'}) };
like($team_plan, qr/^Route Lookup/, 'a lookup (not unique) vindex routes reads too');
is_deeply($rt->selectall_arrayref(q{select id from users where team = 'blue' order by id}), [ [3], [5] ],
	'and finds every row');
my $rst = $rt->prepare('select name from users where email = $1');
$rst->execute('b@x');
is_deeply($rst->fetchall_arrayref, [ ['B'] ], 'a prepared read by email');
$rt->begin_work;
$rt->do(q{insert into users (id, email, name) values (40, 'mine@x', 'M')});
is_deeply($rt->selectall_arrayref(q{select name from users where email = 'mine@x'}), [ ['M'] ],
	'in a transaction block a read by email sees the block\'s own row');
$rt->rollback;
is($rt->selectrow_array(q{select count(*) from users_email where email = 'mine@x'}), 0, 'a rolled back INSERT leaves no lookup row');

# a duplicate email: what PostgreSQL says
sub attempt
{
	my ($db, $sql) = @_;
	my $r = $db->do($sql);
	return defined $r ? "ok $r" : join(' | ', $db->state, $db->errstr =~ s/\n.*//sr,
		($db->errstr =~ /DETAIL:\s+(.*)/ ? $1 : ''));
}
for my $sql (q{insert into users (id, email, name) values (10, 'a@x', 'dup')},
	q{insert into users (id, email, name) values (11, 'new@x', 'n'), (12, 'b@x', 'dup')},
	q{insert into users (id, email, name) values (13, 'z@x', 'z'), (14, 'z@x', 'z')},
	q{insert into users (id, email, name) values (15, NULL, 'n1'), (16, NULL, 'n2')}) {
	is(attempt($rt, $sql), attempt($pg, $sql), $sql);
}
is($rt->selectrow_array(q{select count(*) from users where id in (10, 11, 12, 13, 14)}), 0,
	'the failed INSERTs left none of their rows');
is($rt->selectrow_array(q{select count(*) from users_email where email in ('new@x', 'z@x')}), 0,
	'and none of their lookup rows');

# in a transaction block, and prepared
$rt->begin_work;
my $r = $rt->do(q{insert into users (id, email) values (20, 'c@x')});
is($rt->state, '23505', 'in a transaction block too');
$rt->rollback;
my $st = $rt->prepare('insert into users (id, email, name) values ($1, $2, $3)');
ok($st->execute(21, 'p@x', 'P'), 'a prepared INSERT with a new email');
ok(!$st->execute(22, 'p@x', 'Q'), 'the same email again');
is($st->state, '23505', 'is 23505');
like($st->errstr, qr/duplicate key value violates unique constraint "users_email_key"/, 'naming the constraint');

# concurrent sessions, the same email, rows on different shards (a
# session that collides in flight gets 40001 and retries)
my @ids = (101 .. 108);
my @pids;
pipe(my $rd, my $wr) or die;
for my $round (1 .. 3) {
	for my $id (@ids) {
		my $pid = fork;
		die "fork: $!" unless defined $pid;
		if (!$pid) {
			close $rd;
			my $db = DBI->connect($rdsn, 'dosql', '', \%opts);
			my ($n, $state);
			for my $try (1 .. 100) { # a serialization failure is retried, as PostgreSQL asks of clients
				$n = $db ? $db->do("insert into users (id, email, name) values (" . ($id + 100 * $round) . ", 'same$round\@x', 'c')") : undef;
				$state = defined $n ? 'ok' : ($db ? $db->state : 'noconn');
				last if $state ne '40001';
			}
			print $wr "$round $state\n";
			$db->disconnect if $db;
			close $wr;
			POSIX::_exit(0); # not the parent's END blocks
		}
		push @pids, $pid;
	}
}
close $wr;
waitpid($_, 0) for @pids;
my %got;
while (my $line = <$rd>) {
	my ($round, $state) = split ' ', $line;
	$got{$round}{$state}++;
}
for my $round (1 .. 3) {
	is($got{$round}{ok} // 0, 1, "round $round: of 8 sessions inserting the same email exactly one wins");
	my $others = join(',', map { "$_=$got{$round}{$_}" } sort grep { $_ ne 'ok' } keys %{ $got{$round} });
	is($others, '23505=7', "round $round: the others fail with 23505 (serialization failures retried)");
	is($rt->selectrow_array("select count(*) from users where email = 'same$round\@x'"), 1, "round $round: one row holds it");
	is($rt->selectrow_array("select count(*) from users_email where email = 'same$round\@x'"), 1, "round $round: one lookup row");
}

# DELETE takes the rows' lookup rows with them, in the same transaction
is($rt->do(q{delete from users where id = 1}), 1, 'DELETE by key: its count');
is($rt->selectrow_array(q{select count(*) from users_email where email = 'a@x'}), 0, 'its lookup row is gone');
my ($bksid) = $rt->selectrow_array(q{select keyspace_id from users_email where email = 'b@x'});
is($rt->selectrow_array(qq{select count(*) from users_team where team = 'red' and keyspace_id = $bksid}), 1,
	'the lookup rows of the rows kept stay');
ok($rt->do(q{insert into users (id, email, name) values (30, 'a@x', 'again')}), 'the email is free again');
is($rt->do(q{delete from users where email in ('b@x', 'c@x') or id = 30}), 3, 'a DELETE over several shards');
is($rt->selectrow_array(q{select count(*) from users_email where email in ('a@x', 'b@x', 'c@x')}), 0,
	'their lookup rows are gone');
is($rt->selectrow_array(q{select count(*) from users_team where team in ('red', 'blue')}), 1,
	'the lookup rows of a lookup vindex too (one row with a team is left)');
$st = $rt->prepare('delete from users where id = $1');
is($st->execute(21), 1, 'a prepared DELETE');
is($rt->selectrow_array(q{select count(*) from users_email where email = 'p@x'}), 0, 'takes its lookup row');
is($rt->selectrow_array(q{select count(*) from users_email}), $rt->selectrow_array(q{select count(*) from users where email is not null}),
	'every email has its lookup row, and no more');

# the router killed between the lookup rows and the rows, and after the
# PREPARE of their two-phase commit: lookup and rows stay together
my $crash_id = 500;
for my $point ('router-after-lookup-rows', 'router-after-prepare') {
	$router->stop;
	$router->setenv(DOSQL_FAULT => $point);
	$router->start;
	my $email = "crash-$point\@x";
	my ($crc, $cout, $cerr) = $router->psql("insert into users (id, email, name) values ($crash_id, '$email', 'c')");
	isnt($crc, 0, "the INSERT fails when the router dies at $point");
	ok($router->wait_exit, "the router died at $point");
	$router->setenv(DOSQL_FAULT => undef);
	$router->start;
	$rt = $cluster->router_dbh;
	# a transaction left prepared is resolved by the restarted router
	my $ok = poll_until(sub {
		my $l = $rt->selectrow_array("select count(*) from users_email where email = '$email'");
		my $d = $rt->selectrow_array("select count(*) from users where email = '$email'");
		my $p = $router->safe_psql('show transactions');
		return defined $l && defined $d && $l == $d && $l == 0 && $p eq '';
	});
	ok($ok, "after the restart neither the lookup row nor the row is there ($point)");
	ok($rt->do("insert into users (id, email, name) values ($crash_id, '$email', 'again')"),
		'the email and the id can be inserted again') or diag($rt->errstr);
	is($rt->selectrow_array("select count(*) from users_email where email = '$email'"), 1, 'with one lookup row');
	$crash_id++;
}

# UPDATE of the lookup column (t/144 has more)
$r = $rt->do(q{update users set email = 'q@x' where id = 1});
is($r, '0E0', 'an UPDATE of the lookup column matching no row: UPDATE 0');
is($rt->selectrow_array(q{select count(*) from users_email where email = 'q@x'}), 0, 'writes no lookup row');
ok($rt->do(q{update users set name = 'AA' where id = 1}), 'an UPDATE of another column runs');

done_testing();
