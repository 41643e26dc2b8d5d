# Writes that keep lookup vindexes in step with their tables, through the
# real router (a users table sharded by id, a lookup_unique vindex on email
# with its lookup table sharded by email, a lookup vindex on team with its
# lookup table pinned): TRUNCATE empties the lookup tables with the table,
# in the same statement; a TRUNCATE that would leave another table's
# lookup rows without their table is refused; UPDATE of a lookup column
# replaces the lookup rows whose values change (23505 as PostgreSQL says
# it for a value another row has); a read by a lookup column asks its
# lookup table without holding up other sessions.  Each check reads the
# lookup tables on the shards themselves.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::Utils qw(poll_until);
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }
use DBI;

my $cluster = DoSQL::Test::Cluster->new('lw', shards => 4,
	vschema => {
		vindexes => {
			hash => { type => 'hash' },
			email_uq => { type => 'lookup_unique', params => { table => 'users_email', from => 'email', to => 'keyspace_id' } },
			team_lk => { type => 'lookup', params => { table => 'users_team', from => 'team', to => 'keyspace_id' } },
			tag_lk => { type => 'lookup', params => { table => 'tags_lk', from => 'tag', to => 'keyspace_id' } },
		},
		tables => {
			users => { column_vindexes => [ { column => 'id', name => 'hash' }, { column => 'email', name => 'email_uq' },
					{ column => 'team', name => 'team_lk' } ] },
			users_email => { column_vindexes => [ { column => 'email', name => 'hash' } ] },
			users_team => { pinned => 'c0-' },
			a_tags => { column_vindexes => [ { column => 'id', name => 'hash' }, { column => 'tag', name => 'tag_lk' } ] },
			b_tags => { column_vindexes => [ { column => 'id', name => 'hash' }, { column => 'tag', name => 'tag_lk' } ] },
			tags_lk => { pinned => '-40' },
		},
	});
$cluster->start;
my @shards = $cluster->shards;
my $router = $cluster->router;
my $rt = $cluster->router_dbh;
$rt->{RaiseError} = 0;
$rt->{PrintError} = 0;

$rt->do($_) or BAIL_OUT($rt->errstr) for
	'create table users (id int primary key, email text unique, team text, name text)',
	'create table users_email (email text primary key, keyspace_id int8 not null)',
	'create table users_team (team text, keyspace_id int8, primary key (team, keyspace_id))',
	'create table a_tags (id int primary key, tag text)',
	'create table b_tags (id int primary key, tag text)',
	'create table tags_lk (tag text, keyspace_id int8, primary key (tag, keyspace_id))';

# rows in the lookup tables, counted on every shard
sub on_shards
{
	my ($table) = @_;
	my $n = 0;
	$n += $_->safe_psql("select count(*) from $table") for @shards;
	return $n;
}

sub load_users
{
	ok($rt->do(q{insert into users (id, email, team, name) values
		(1, 'a@x', 'red', 'A'), (2, 'b@x', 'red', 'B'), (3, 'c@x', 'blue', 'C'), (4, 'd@x', null, 'D'),
		(5, null, 'blue', 'E'), (6, 'f@x', 'green', 'F')}), 'six users') or diag($rt->errstr);
}

# TRUNCATE: the lookup rows go with the rows
load_users();
is(on_shards('users_email'), 5, 'five email lookup rows on the shards');
is(on_shards('users_team'), 5, 'five team lookup rows');
ok($rt->do('truncate users'), 'TRUNCATE users') or diag($rt->errstr);
is($rt->selectrow_array('select count(*) from users'), 0, 'the table is empty');
is(on_shards('users_email'), 0, 'so is the lookup table of its lookup_unique vindex, on every shard');
is(on_shards('users_team'), 0, 'and that of its lookup vindex (pinned)');
load_users();
is($rt->selectrow_array(q{select name from users where email = 'a@x'}), 'A', 'the emails can be used again');

# in a transaction: rolled back, the lookup rows come back with the rows
$rt->begin_work;
ok($rt->do('truncate table users restart identity'), 'TRUNCATE TABLE ... RESTART IDENTITY in a transaction');
is($rt->selectrow_array('select count(*) from users_email'), 0, 'the lookup rows are gone inside it');
$rt->rollback;
is($rt->selectrow_array('select count(*) from users'), 6, 'after ROLLBACK the rows are back');
is(on_shards('users_email'), 5, 'and their lookup rows');
my $ins = $rt->prepare('truncate users');
ok($ins->execute, 'a prepared TRUNCATE');
is(on_shards('users_email') + on_shards('users_team'), 0, 'empties the lookup tables too');

# UPDATE of a lookup column: the old lookup row goes, the new one comes,
# in the UPDATE's transaction
sub lookup_of
{
	my ($table, $col, $value) = @_;
	return join(',', map { $_->safe_psql("select keyspace_id from $table where $col = '$value'") } @shards) =~ s/,+/,/gr =~ s/^,|,$//gr;
}
load_users();
my $ksid1 = lookup_of('users_email', 'email', 'a@x');
ok($ksid1 ne '', 'the lookup row of a@x');
is($rt->do(q{update users set email = 'a2@x' where id = 1}), 1, 'UPDATE of the lookup_unique column: UPDATE 1')
	or diag($rt->errstr);
is(lookup_of('users_email', 'email', 'a@x'), '', 'the old lookup row is gone');
is(lookup_of('users_email', 'email', 'a2@x'), $ksid1, 'the new one names the row\'s keyspace id');
is($rt->selectrow_array(q{select id from users where email = 'a2@x'}), 1, 'the row is found by its new email');
is($rt->selectrow_array(q{select count(*) from users where email = 'a@x'}), 0, 'and not by the old one');
ok($rt->do(q{insert into users (id, email, name) values (7, 'a@x', 'G')}), 'the old email is free') or diag($rt->errstr);

ok(!$rt->do(q{update users set email = 'b@x' where id = 3}), 'UPDATE to an email another row has fails');
is($rt->state, '23505', 'with 23505');
is($rt->errstr =~ s/\n.*//sr, 'ERROR:  duplicate key value violates unique constraint "users_email_key"',
	'as PostgreSQL says it for UNIQUE (email)');
like($rt->errstr, qr/DETAIL:  Key \(email\)=\(b\@x\) already exists\./, 'naming the key');
is($rt->selectrow_array(q{select email from users where id = 3}), 'c@x', 'the row kept its email');
is(lookup_of('users_email', 'email', 'c@x'), lookup_of('users_email', 'email', 'c@x'), 'and its lookup row') ;
ok(lookup_of('users_email', 'email', 'c@x') ne '', 'which is still there');

# several rows, several shards, a lookup (non-unique) column, NULLs
is($rt->do(q{update users set team = 'teal' where team = 'red' or id = 4}), 3,
	'UPDATE of the lookup column over several rows (one from NULL)') or diag($rt->errstr);
is(on_shards("users_team where team = 'red'"), 0, 'no red lookup rows are left');
is(on_shards("users_team where team = 'teal'"), 3, 'three teal ones');
is($rt->do(q{update users set team = null where id = 4}), 1, 'UPDATE to NULL');
is(on_shards("users_team where team = 'teal'"), 2, 'its lookup row goes');
is($rt->do(q{update users set email = case id when 2 then 'c@x' else 'b@x' end where id in (2, 3)}), 2,
	'two rows swap their emails');
is($rt->selectrow_array(q{select id from users where email = 'c@x'}), 2, 'each is found by its new email');
is($rt->selectrow_array(q{select id from users where email = 'b@x'}), 3, 'both');
is($rt->do(q{update users set name = 'n' || name, email = email where id = 2}), 1, 'an UPDATE setting the same email') or diag($rt->errstr);
is(on_shards('users_email'), $rt->selectrow_array(q{select count(email) from users}), 'one lookup row per email');
my $pst = $rt->prepare('update users set email = $1 where id = $2');
is($pst->execute('p@x', 6), 1, 'a prepared UPDATE with parameters');
is($rt->selectrow_array(q{select id from users where email = 'p@x'}), 6, 'the row is found by the new email');
is(lookup_of('users_email', 'email', 'f@x'), '', 'the old lookup row is gone');
$rt->begin_work;
$rt->do(q{update users set email = 'q@x' where id = 6});
$rt->rollback;
is($rt->selectrow_array(q{select count(*) from users_email where email = 'p@x'}), 1, 'a rolled back UPDATE leaves the lookup row');
is($rt->selectrow_array(q{select count(*) from users_email where email = 'q@x'}), 0, 'and writes none');
# UPDATE ... RETURNING of the lookup column: the client gets its columns,
# the lookup rows change as without it
my $ret = $rt->selectall_arrayref(q{update users set email = 'z@x', name = lower(name) where id = 1 returning id, email, upper(name) as nm});
is(join(';', map { join(',', @$_) } @{ $ret // [] }), '1,z@x,A', 'UPDATE ... RETURNING of the lookup column gives the rows') or diag($rt->errstr);
is(lookup_of('users_email', 'email', 'a2@x'), '', 'the old lookup row is gone');
is(lookup_of('users_email', 'email', 'z@x'), $ksid1, 'the new one is there');
my $sth = $rt->prepare(q{update users set email = 'a2@x', name = upper(name) where id = 1 returning *});
$sth->execute;
is(join(',', @{ $sth->{NAME} }), 'id,email,team,name', 'RETURNING * names the table\'s columns');
is(join(';', map { join(',', map { $_ // 'NULL' } @$_) } @{ $sth->fetchall_arrayref }), '1,a2@x,teal,A', 'and gives them') or diag($rt->errstr);
$ret = $rt->selectall_arrayref(q{update users set team = coalesce(team, 'none') where id in (2, 3, 5) returning id, team});
is(join(';', map { join(',', @$_) } sort { $a->[0] <=> $b->[0] } @{ $ret // [] }), '2,teal;3,blue;5,blue', 'rows of several shards');
my $pret = $rt->prepare('update users set email = $1 where id = $2 returning email, id');
$pret->execute('p2@x', 6);
is(join(',', @{ $pret->fetchrow_arrayref // [] }), 'p2@x,6', 'a prepared UPDATE ... RETURNING with parameters');
is($pret->rows, 1, 'with its count');
$pret->execute('p@x', 6);
is(lookup_of('users_email', 'email', 'p2@x'), '', 'and back: no lookup row of the value between');
ok(!$rt->selectall_arrayref(q{update users set email = 'b@x' where id = 6 returning id}), 'UPDATE ... RETURNING to a taken email fails');
is($rt->state, '23505', 'with 23505');
ok(!$rt->do(q{update users u set email = 'z@x' from users_team t where t.team = u.team and u.id = 1}), 'UPDATE ... FROM of the lookup column');
is($rt->state, '0A000', 'is refused with 0A000');
# DELETE ... RETURNING: the client gets the rows, the lookup rows go
my $del = $rt->selectall_arrayref(q{delete from users where team = 'teal' or id = 6 returning id, email, upper(name) as n});
is(join(';', map { join(',', map { $_ // 'NULL' } @$_) } sort { $a->[0] <=> $b->[0] } @{ $del // [] }), '1,a2@x,A;2,c@x,NB;6,p@x,F',
	'DELETE ... RETURNING gives the rows deleted') or diag($rt->errstr);
is(on_shards(q{users_email where email in ('a2@x', 'p@x')}), 0, 'their lookup_unique rows are gone');
is(on_shards(q{users_team where team = 'teal'}), 0, 'and their lookup rows');
my $dst = $rt->prepare('delete from users where id = $1 returning name');
$dst->execute(7);
is(join(',', map { $_->[0] } @{ $dst->fetchall_arrayref }), 'G', 'a prepared DELETE ... RETURNING');
is($dst->rows, 1, 'with its count');
is(on_shards(q{users_email where email = 'a@x'}), 0, 'takes its lookup row');
is(on_shards('users_email'), $rt->selectrow_array(q{select count(email) from users}), 'one lookup row per email left');
$rt->do('truncate users');

# INSERT ... ON CONFLICT (target) DO NOTHING: the lookup rows of the rows
# it inserts, none for a row it skips
load_users();
is($rt->do(q{insert into users (id, email, team) values (1, 'new@x', 'red') on conflict (id) do nothing}), '0E0',
	'ON CONFLICT (id) DO NOTHING skipping a row: INSERT 0 0') or diag($rt->errstr);
is(on_shards(q{users_email where email = 'new@x'}), 0, 'the skipped row left no lookup row');
is($rt->do(q{insert into users (id, email, team) values (8, 'new@x', 'red') on conflict (id) do nothing}), 1,
	'inserting one: INSERT 0 1') or diag($rt->errstr);
is($rt->selectrow_array(q{select id from users where email = 'new@x'}), 8, 'found by its email');
is(on_shards(q{users_team where team = 'red'}), 3, 'with its lookup rows');
ok(!$rt->do(q{insert into users (id, email) values (9, 'b@x') on conflict (id) do nothing}), 'an email another row has');
is($rt->state, '23505', 'is 23505, as PostgreSQL says when the conflict is not on the target');
is($rt->selectrow_array(q{select count(*) from users where id = 9}), 0, 'and the row is not there');
my $cst = $rt->prepare('insert into users (id, email) values ($1, $2) on conflict (id) do nothing');
is($cst->execute(10, 'p10@x'), 1, 'a prepared ON CONFLICT (id) DO NOTHING') or diag($rt->errstr);
is($cst->execute(10, 'p11@x'), '0E0', 'executed again: the row is skipped');
is(on_shards(q{users_email where email in ('p10@x', 'p11@x')}), 1, 'one lookup row, for the row inserted');
ok(!$rt->do(q{insert into users (id, email) values (9, 'z@x') on conflict do nothing}), 'ON CONFLICT DO NOTHING without a target');
is($rt->state, '0A000', 'is refused with 0A000 (a lookup_unique conflict would have to skip the row)');
$rt->do('truncate users');

# a lookup vindex two tables share: both truncated, or refused
ok($rt->do(q{insert into a_tags values (1, 'x'), (2, 'y')}), 'rows in a_tags');
ok($rt->do(q{insert into b_tags values (7, 'x'), (3, 'z')}), 'rows in b_tags');
is(on_shards('tags_lk'), 4, 'their lookup rows share one lookup table');
ok(!$rt->do('truncate a_tags'), 'TRUNCATE of one of them is refused');
is($rt->state, '0A000', 'with 0A000');
like($rt->errstr, qr/another table uses too/, 'saying why');
is(on_shards('tags_lk'), 4, 'nothing was truncated');
ok($rt->do('truncate a_tags, b_tags'), 'TRUNCATE of both') or diag($rt->errstr);
is(on_shards('tags_lk'), 0, 'empties their lookup table');

# the router killed after an UPDATE of the lookup column changed the
# rows, and after the PREPARE of its two-phase commit: after the restart
# the row and its lookup rows agree
load_users();
for my $point ('router-after-update-rows', 'router-after-prepare') {
	$router->stop;
	$router->setenv(DOSQL_FAULT => $point);
	$router->start;
	my ($crc) = $router->psql(q{update users set email = 'crash@x' where id = 3});
	isnt($crc, 0, "the UPDATE fails when the router dies at $point");
	ok($router->wait_exit, "the router died at $point");
	$router->setenv(DOSQL_FAULT => undef);
	$router->start;
	$rt = $cluster->router_dbh;
	$rt->{RaiseError} = 0;
	$rt->{PrintError} = 0;
	my $ok = poll_until(sub {
		my $email = $rt->selectrow_array('select email from users where id = 3') // '';
		my $other = $email eq 'crash@x' ? 'c@x' : 'crash@x';
		return $router->safe_psql('show transactions') eq '' && on_shards("users_email where email = '$email'") == 1
			&& on_shards("users_email where email = '$other'") == 0;
	});
	ok($ok, "after the restart the row's email and its lookup rows agree ($point)");
	ok($rt->do(q{update users set email = 'c@x' where id = 3}), 'and it can be updated again') or diag($rt->errstr);
}
$rt->do('truncate users');

# a read by a lookup column asks the lookup table without holding up the
# router: with the lookup table's shard stopped, other sessions are served
load_users();
is($rt->selectrow_array(q{select count(*) from users where team = 'red'}), 2, 'a read by the team lookup column');
my $reader = DBI->connect($router->dsn, 'dosql', '', { RaiseError => 0, PrintError => 0, AutoCommit => 1 });
$reader->selectrow_array(q{select count(*) from users where team = 'blue'}); # its lookup connection is up
my $team_shard = $shards[3]; # users_team is pinned to c0-
kill 'STOP', $team_shard->pid;
my $rst = $reader->prepare(q{select id from users where team = 'red' order by id}, { pg_async => DBD::Pg::PG_ASYNC() });
$rst->execute;
local $SIG{ALRM} = sub { kill 'CONT', $team_shard->pid; BAIL_OUT('the router did not answer while a lookup waited'); };
alarm 60;
is($rt->selectrow_array(q{select count(*) from tags_lk}), 0, 'another session is served while the lookup waits');
alarm 0;
ok(!$reader->pg_ready, 'the read waits for its lookup (the lookup table\'s shard is stopped)');
kill 'CONT', $team_shard->pid;
$reader->pg_result;
is(join(',', map { $_->[0] } @{ $rst->fetchall_arrayref }), '1,2', 'then it reads the rows the lookup names');
my ($plan) = grep { /Route/ } @{ $reader->selectcol_arrayref(q{explain select * from users where team = 'red'}) };
like($plan, qr/^Route Lookup/, 'through the lookup');
undef $rst;
$reader->disconnect;

done_testing();
