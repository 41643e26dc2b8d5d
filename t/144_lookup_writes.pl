# Writes that keep lookup vindexes in step with their tables, through the
# real router (a users table sharded by id, a lookup_unique vindex on email
# with its lookup table sharded by email, a lookup vindex on team with its
# lookup table pinned): TRUNCATE empties the lookup tables with the table,
# in the same statement; a TRUNCATE that would leave another table's
# lookup rows without their table is refused.  Each check reads the
# lookup tables on the shards themselves.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
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

done_testing();
