# A RELOAD that adds lookup vindexes to a table with rows: the router fills
# their lookup tables with an online job (SHOW LOOKUP_BACKFILL shows its
# progress) while clients go on writing the table (inserts, deletes,
# updates of the looked-up columns, from this test between its checks and
# from a second process all along); when the job is done every row has its
# lookup rows, on the shard its value places them, naming the shard the
# row is on, and no lookup row is left of a row deleted or changed; reads
# by the column use the lookup only then.  Rows that share a value of a
# lookup_unique column fail the job with 23505 (the vindex is not read);
# with the duplicate gone, a RELOAD runs the job again.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use POSIX ();
use DoSQL::Test::Cluster;
use DoSQL::Test::Utils qw(poll_until slurp_file write_file);
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }
use DBI;

my $c = DoSQL::Test::Cluster->new('backfill', shards => 4,
	vschema => {
		vindexes => {
			hash => { type => 'hash' },
			email_uq => { type => 'lookup_unique', params => { table => 'users_email', from => 'email', to => 'keyspace_id' } },
			team_lk => { type => 'lookup', params => { table => 'users_team', from => 'team', to => 'keyspace_id' } },
			dup_uq => { type => 'lookup_unique', params => { table => 'dups_email', from => 'email', to => 'keyspace_id' } },
		},
		tables => {
			users => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
			users_email => { column_vindexes => [ { column => 'email', name => 'hash' } ] },
			users_team => { pinned => 'c0-' },
			dups => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
			dups_email => { column_vindexes => [ { column => 'email', name => 'hash' } ] },
		},
	},
	router_config => { admin_users => ['dosql'], lookup_backfill_rows => 7 });
$c->start;
my @shards = $c->shards;
my $router = $c->router;
my $rt = $c->router_dbh;

$rt->do($_) or BAIL_OUT($rt->errstr) for
	'create table users (id int, email text, team text)',
	'create table users_email (email text primary key, keyspace_id int8 not null)',
	'create table users_team (team text, keyspace_id int8, primary key (team, keyspace_id))',
	'create table dups (id int primary key, email text)',
	'create table dups_email (email text primary key, keyspace_id int8 not null)';

# 800 rows over the four shards, some without an email or a team, two with
# a NULL key (on the shard of keyspace id 0)
my @rows = map { "($_, " . ($_ % 50 ? "'u$_\@x'" : 'null') . ', ' . ($_ % 13 ? "'team" . ($_ % 9) . "'" : 'null') . ')' } 1 .. 800;
push @rows, "(null, 'n1\@x', 'nullteam1')", "(null, 'n2\@x', 'nullteam2')";
ok($rt->do('insert into users (id, email, team) values ' . join(', ', @rows)), '802 users') or diag($rt->errstr);
my @held = map { $_->safe_psql('select count(*) from users') } @shards;
is(scalar(grep { $_ > 0 } @held), 4, "the rows are on every shard (@held)");

sub vschema_with
{
	my (%add) = @_;
	my $vs = decode_json(slurp_file($c->vschema_file));
	push @{ $vs->{tables}{$_}{column_vindexes} }, @{ $add{$_} } for keys %add;
	write_file($c->vschema_file, JSON::PP->new->canonical->pretty->encode($vs));
}

sub jobs
{
	my $r = $rt->selectall_arrayref('show lookup_backfill', { Slice => {} });
	diag($rt->errstr) unless $r;
	return { map { ("$_->{table}.$_->{column}" => $_) } reverse @{ $r // [] } };
}

# a second client writes all along: new rows, deleted rows, changed emails
# and teams, each statement again after a 40001 (a lock conflict)
my $stop = $c->basedir . '/stop_writer';
my $wrote = $c->basedir . '/writer_count';
$rt->disconnect; # the writer shares no connection with this process
my $pid = fork();
die "fork: $!" unless defined $pid;
if (!$pid) {
	my $w = $c->router_dbh;
	my ($n, $i) = (0, 0);
	while (!-e $stop && $i < 100000) {
		$i++;
		my $id = 2000 + $i;
		for my $sql ("insert into users (id, email, team) values ($id, 'w$id\@x', 'wteam" . ($i % 3) . "')",
			"update users set email = 'c$id\@x', team = 'cteam' where id = " . ($id - 1),
			'delete from users where id = ' . (($i * 7) % 800 + 1)) {
			for (1 .. 50) {
				last if $w->do($sql);
				last unless ($w->state // '') eq '40001';
			}
		}
		$n++;
		write_file($wrote, $n);
	}
	POSIX::_exit(0); # no destructor of the parent's objects runs here
}
$rt = $c->router_dbh;
poll_until(sub { -e $wrote }) or diag('the second client wrote nothing yet');

vschema_with(users => [ { column => 'email', name => 'email_uq' }, { column => 'team', name => 'team_lk' } ]);
my (undef, $out, $err) = $router->psql('reload');
is($err, '', 'RELOAD adding a lookup_unique and a lookup vindex to a table with rows is accepted');

# between the job's batches: this client's writes, the progress shown, and
# reads by email (every shard until the job is done)
my ($running_seen, $progress_seen, $writes_while_running, $scatter_seen, $reads_ok) = (0, 0, 0, 0, 1);
my $k = 0;
for my $round (1 .. 100000) {
	my $j = jobs();
	my ($e, $t) = ($j->{'users.email'}, $j->{'users.team'});
	last unless $e && $t && ($e->{state} eq 'running' || $t->{state} eq 'running');
	$running_seen++;
	$progress_seen++ if $e->{rows_done} > 0 && $e->{rows_done} < $e->{rows_total} && $e->{shards} == 4;
	$k++;
	my $id = 5000 + $k;
	$writes_while_running++ if $rt->do("insert into users (id, email, team) values ($id, 'm$id\@x', 'mteam')") &&
		$rt->do("update users set email = 'mm$id\@x' where id = $id") &&
		$rt->do('delete from users where id = ' . (800 - $k % 800));
	my $plan = join("\n", map { $_->[0] } @{ $rt->selectall_arrayref(q{explain select * from users where email = 'u7@x'}) // [] });
	$scatter_seen++ if $plan =~ /Route Scatter/;
	my $got = $rt->selectrow_array(q{select count(*) from users where email = 'u7@x'});
	my $want = $rt->selectrow_array(q{select count(*) from users where email || '' = 'u7@x'});
	$reads_ok = 0 unless defined $got && defined $want && $got == $want;
	select(undef, undef, undef, 0.05);
}
write_file($stop, 1);
waitpid($pid, 0);
my $writer_rounds = slurp_file($wrote);
cmp_ok($running_seen, '>', 0, "SHOW LOOKUP_BACKFILL showed the jobs running ($running_seen times)");
cmp_ok($progress_seen, '>', 0, 'with rows done short of the rows counted, over 4 shards');
cmp_ok($writes_while_running, '>', 0, "this client wrote while they ran ($writes_while_running rounds)");
cmp_ok($writer_rounds, '>', 0, "the second client wrote all along ($writer_rounds rounds)");
cmp_ok($scatter_seen, '>', 0, 'a read by email read every shard while the job ran');
ok($reads_ok, 'and found what a read of every shard finds');

my $j = jobs();
is($j->{'users.email'}{state}, 'done', 'the email backfill is done') or diag(explain($j));
is($j->{'users.team'}{state}, 'done', 'the team backfill is done');
is($j->{'users.email'}{shards_done}, 4, 'over all four shards');

# every row's lookup rows, and no other: read on the shards themselves
my @names = $c->shard_names;
sub shard_of_ksid
{
	my ($k) = @_;
	return (($k >> 62) & 3); # four equal ranges: the top two bits
}
my (%want_email, %want_team);
for my $i (0 .. $#shards) {
	for my $line (split /\n/, $shards[$i]->safe_psql(q{select coalesce(email, '~'), coalesce(team, '~') from users}, flags => ['-X', '-A', '-t', '-F', '|'])) {
		my ($email, $team) = split /\|/, $line;
		$want_email{$email} = $i unless $email eq '~';
		$want_team{"$team|$i"}++ unless $team eq '~';
	}
}
my (%got_email, %got_team, $email_rows, $team_rows);
for my $s (@shards) {
	for my $line (split /\n/, $s->safe_psql('select email, keyspace_id from users_email', flags => ['-X', '-A', '-t', '-F', '|'])) {
		my ($email, $ks) = split /\|/, $line;
		$got_email{$email} = shard_of_ksid($ks);
		$email_rows++;
	}
	for my $line (split /\n/, $s->safe_psql('select team, keyspace_id from users_team', flags => ['-X', '-A', '-t', '-F', '|'])) {
		my ($team, $ks) = split /\|/, $line;
		$got_team{$team . '|' . shard_of_ksid($ks)}++;
		$team_rows++;
	}
}
is(scalar(keys %got_email), $email_rows, 'no email has two lookup rows');
is_deeply(\%got_email, \%want_email, 'every email of the table has its lookup row naming the shard of its row, and no other is left')
	or diag('missing on shards: ' . join(',', map { $want_email{$_} } grep { !exists $got_email{$_} } sort keys %want_email) . ' extra: ' .
	join(',', grep { !exists $want_email{$_} } sort keys %got_email) . ' wrong shard: ' .
	join(',', map { "$_ $got_email{$_} $want_email{$_}" } grep { exists $want_email{$_} && $got_email{$_} != $want_email{$_} } sort keys %got_email) . explain(jobs()));
is_deeply([ sort keys %got_team ], [ sort keys %want_team ], 'every team has lookup rows on the shards of its rows, and no other');
my $users_with_team = $rt->selectrow_array('select count(team) from users');
my $null_key_teams = $rt->selectrow_array('select count(team) - count(distinct team) from users where id is null');
is($team_rows, $users_with_team - $null_key_teams, "one team lookup row per row with a team ($team_rows)");
is($shards[3]->safe_psql('select count(*) from users_team'), $team_rows, 'all on the pinned shard');

# reads now use the lookup
my $plan = join("\n", map { $_->[0] } @{ $rt->selectall_arrayref(q{explain select * from users where email = 'u7@x'}) });
like($plan, qr/Route Lookup/, 'a read by email routes by the lookup now') or diag($plan);
is($rt->selectrow_array(q{select id from users where email = 'u77@x'}), 77, 'and finds its row');
is($rt->selectrow_array(q{select count(*) from users where email = 'n1@x'}), 1, 'a row with a NULL key too');
ok(!$rt->do(q{insert into users (id, email) values (9999, 'u79@x')}), 'an email a backfilled row has is refused');
is($rt->state, '23505', 'with 23505');

# duplicates: the lookup_unique backfill fails; with them gone, RELOAD runs it again
ok($rt->do(q{insert into dups (id, email) values (1, 'same@x'), (2, 'other@x'), (3, 'same@x'), (4, 'x4@x')}), 'dups loaded');
vschema_with(dups => [ { column => 'email', name => 'dup_uq' } ]);
(undef, $out, $err) = $router->psql('reload');
is($err, '', 'RELOAD adding a lookup_unique vindex over duplicates starts its job');
poll_until(sub { my $d = jobs()->{'dups.email'}; $d && $d->{state} ne 'running' });
my $d = jobs()->{'dups.email'};
is($d->{state}, 'failed', 'the job fails');
is($d->{sqlstate}, '23505', 'with 23505');
like($d->{error}, qr/could not create unique index "dups_email_key"/, 'as PostgreSQL says it for a unique index over duplicates')
	or diag($d->{error});
$plan = join("\n", map { $_->[0] } @{ $rt->selectall_arrayref(q{explain select * from dups where email = 'x4@x'}) });
unlike($plan, qr/Route Lookup/, 'the vindex is not read') or diag($plan);
is($rt->selectrow_array(q{select id from dups where email = 'x4@x'}), 4, 'a read by it still finds its row');
ok($rt->do('delete from dups where id = 3'), 'the duplicate deleted');
(undef, $out, $err) = $router->psql('reload');
poll_until(sub { my $d = jobs()->{'dups.email'}; $d && $d->{state} ne 'running' });
is(jobs()->{'dups.email'}{state}, 'done', 'RELOAD ran the job again, and it is done');
is(join(',', sort split /\n/, join("\n", map { $_->safe_psql('select email from dups_email') } @shards)), 'other@x,same@x,x4@x',
	'the lookup rows of the three rows');
$plan = join("\n", map { $_->[0] } @{ $rt->selectall_arrayref(q{explain select * from dups where email = 'x4@x'}) });
like($plan, qr/Route Lookup/, 'reads use it now');

# a router that stops during a backfill runs it again when it starts: its
# lookup table is not read before then (it would miss rows)
my $vs = decode_json(slurp_file($c->vschema_file));
$vs->{vindexes}{code_uq} = { type => 'lookup_unique', params => { table => 'later_code', from => 'code', to => 'keyspace_id' } };
$vs->{tables}{later} = { column_vindexes => [ { column => 'id', name => 'hash' } ] };
$vs->{tables}{later_code} = { column_vindexes => [ { column => 'code', name => 'hash' } ] };
write_file($c->vschema_file, JSON::PP->new->canonical->pretty->encode($vs));
(undef, $out, $err) = $router->psql('reload');
is($err, '', 'RELOAD with a new table') or diag($err);
$rt->do($_) or BAIL_OUT($rt->errstr) for 'create table later (id int primary key, code text)',
	'create table later_code (code text primary key, keyspace_id int8 not null)';
ok($rt->do('insert into later (id, code) values ' . join(', ', map { "($_, 'c$_')" } 1 .. 60)), '60 rows of it');
vschema_with(later => [ { column => 'code', name => 'code_uq' } ]);
# a transaction on the first shard holds its write lock: the job's batches
# there wait and run again until it ends
my $holder = DBI->connect($shards[0]->dsn, 'dosql', '', { RaiseError => 0, PrintError => 0, AutoCommit => 0 });
ok($holder && $holder->do('update later set code = code'), 'a transaction holds the first shard\'s write lock');
(undef, $out, $err) = $router->psql('reload');
is($err, '', 'RELOAD adding a lookup vindex to it') or diag($err);
is(jobs()->{'later.code'}{state}, 'running', 'its job runs');
$rt->disconnect;
$router->kill9;
$holder->rollback;
$holder->disconnect;
$router->start;
$rt = $c->router_dbh;
ok(poll_until(sub { my $j = jobs()->{'later.code'}; $j && $j->{state} eq 'done' }), 'the router started again runs the job to its end')
	or diag(explain(jobs()));
my $found = 0;
$found += ($rt->selectrow_array("select count(*) from later where code = 'c$_'") // 0) for 1 .. 60;
is($found, 60, 'a read by the column finds each of the 60 rows');
$plan = join("\n", map { $_->[0] } @{ $rt->selectall_arrayref(q{explain select * from later where code = 'c7'}) });
like($plan, qr/Route Lookup/, 'by the lookup') or diag($plan);

$rt->disconnect;
$c->stop;
done_testing();
