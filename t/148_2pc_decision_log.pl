# The router's commit decisions are logged by a thread of their own, and a
# decision that cannot be made durable rolls its transaction back
# everywhere.  Transfers between an account on each of two shards commit
# one after the other on one connection while the test build fails the
# third decision's fsync (DOSQL_FAULT=router-decision-sync:3): that COMMIT
# gets 58030, the transfers before and after it commit on the same
# connection, no prepared transaction is left on a shard, every account
# holds what the committed transfers say, and the coordinator log keeps a
# decision for each committed transfer and none for the failed one.  Then
# pgbench's concurrent transfers all commit, their decisions sharing the
# log's writer.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::Utils qw(poll_until slurp_file);
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }

my $naccounts = 20;
my $c = DoSQL::Test::Cluster->new('decisions',
	shards => 2,
	router_config => { prepared_abandon_ms => 3000, recovery_interval_ms => 200 },
	tables => { accounts => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
$c->start;
my $router = $c->router;
my @shards = $c->shards;
$router->safe_psql('create table accounts (id int primary key, bal int not null)');
$router->safe_psql('insert into accounts (id, bal) values ' . join(', ', map { "($_, 1000)" } 1 .. $naccounts));
my @ids = map { [ split /\n/, $_->safe_psql('select id from accounts order by id') ] } @shards;
ok(@{ $ids[0] } && @{ $ids[1] }, 'the accounts are on both shards');
my $log = $c->basedir . '/coordinator.log';

$router->stop;
$router->setenv(DOSQL_FAULT => 'router-decision-sync:3');
$router->start;

my %expect = map { $_ => 1000 } 1 .. $naccounts;
my $dbh = $c->router_dbh({ RaiseError => 0, PrintError => 0, AutoCommit => 1 });
my @outcome;
for my $k (1 .. 5) {
	my ($src, $dst) = ($ids[0][$k % @{ $ids[0] }], $ids[1][$k % @{ $ids[1] }]);
	$dbh->begin_work;
	# (DBD::Pg's commit returns true after an error too: err tells)
	my $ok = $dbh->do('update accounts set bal = bal - ? where id = ?', undef, $k, $src) &&
	    $dbh->do('update accounts set bal = bal + ? where id = ?', undef, $k, $dst) && $dbh->commit && !$dbh->err;
	push @outcome, $ok ? 'COMMIT' : $dbh->state;
	note("transfer $k: " . ($ok ? 'committed' : $dbh->errstr));
	$dbh->rollback unless $dbh->{AutoCommit};
	next unless $ok;
	$expect{$src} -= $k;
	$expect{$dst} += $k;
}
is("@outcome", 'COMMIT COMMIT 58030 COMMIT COMMIT',
	'the transfer whose decision could not be synced gets 58030; the others commit on the same connection');
like($router->log_content, qr/cannot log the commit decision of dosql_r1_\d+/, 'the router logs the failed decision');

sub check
{
	my ($what) = @_;
	ok(poll_until(sub { !grep { $_->safe_psql('select count(*) from pg_prepared_xacts') ne '0' } @shards }),
		"$what: no prepared transaction is left on any shard");
	my %bal;
	for my $s (@shards) {
		for (split /\n/, $s->safe_psql('select id, bal from accounts')) {
			my ($id, $b) = split /\|/;
			$bal{$id} = $b;
		}
	}
	is_deeply(\%bal, \%expect, "$what: every account holds what the committed transfers say");
}
check('after the failed decision');
my @decided = slurp_file($log) =~ /^C (dosql_r1_\d+) /mg;
is(scalar(@decided), 4, 'the log keeps the four committed decisions and not the failed one');

# several connections at once: their decisions go through the one writer
$router->stop;
$router->setenv(DOSQL_FAULT => undef);
$router->start;
my $script = $c->basedir . '/transfer.sql';
DoSQL::Test::Utils::write_file($script, <<"SQL");
\\set a random(1, $naccounts)
\\set b random(1, $naccounts)
BEGIN;
UPDATE accounts SET bal = bal - 1 WHERE id = :a;
UPDATE accounts SET bal = bal + 1 WHERE id = :b;
END;
SQL
my ($rc, $out, $err) = DoSQL::Test::Utils::run_command(
	[ DoSQL::Test::ServerNode::pg_program('pgbench'), '-n', '-f', $script, '-c', '4', '-j', '2', '-t', '20',
	  '--max-tries', '1000', '-h', $router->host, '-p', $router->port, '-U', 'dosql', 'dosql' ],
	timeout => 120);
is($rc, 0, 'pgbench ran the transfers') or diag($err);
like($out, qr/number of transactions actually processed: 80\b/, 'every transfer of 4 concurrent clients committed');
ok(poll_until(sub { !grep { $_->safe_psql('select count(*) from pg_prepared_xacts') ne '0' } @shards }),
	'after concurrent transfers: no prepared transaction is left on any shard');
my $sum = 0;
$sum += $_->safe_psql('select coalesce(sum(bal), 0) from accounts') for @shards;
is($sum, 1000 * $naccounts, 'after concurrent transfers: the total balance is unchanged');

$c->stop;
done_testing();
