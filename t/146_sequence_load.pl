# 100,000 rows with a bigserial id through two routers sharing four shards:
# eight clients (four on each router) insert 12,500 rows each, in
# multi-row INSERTs with RETURNING id, at the same time; every id handed
# out is distinct, every row is stored once, on the shard its id routes to,
# and each router's ids increase within each of its sessions.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN { require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl')); }
use DBI;

my $two = DoSQL::Test::Cluster::two_routers(tables => { big => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
my $dir = $two->{dir};
my @names = @{ $two->{names} };
my @shards = @{ $two->{shards} };
my @routers = @{ $two->{routers} };
$routers[0]->safe_psql('create table big (id bigserial primary key, client int, n int)');

my ($clients, $per_client, $per_insert) = (8, 12_500, 250);
my @pids;
for my $c (0 .. $clients - 1) {
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		my $router = $routers[$c % 2];
		my $dbh = DBI->connect($router->dsn, 'dosql', '', { RaiseError => 0, PrintError => 0, AutoCommit => 1 });
		open(my $out, '>', "$dir/ids.$c") or POSIX::_exit(2);
		my $failed = $dbh ? 0 : 1;
		for (my $n = 0; !$failed && $n < $per_client; $n += $per_insert) {
			my $sql = 'insert into big (client, n) values '
				. join(', ', map { "($c, " . ($n + $_) . ')' } 0 .. $per_insert - 1) . ' returning id';
			my $rows;
			for my $try (1 .. 20) { # serialization failures are retried, as clients do
				$rows = $dbh->selectcol_arrayref($sql);
				last if $rows || ($dbh->state // '') ne '40001';
			}
			if (!$rows) {
				print STDERR "client $c: " . $dbh->errstr . "\n";
				$failed = 1;
				last;
			}
			print $out "$_\n" for @$rows;
		}
		close $out;
		require POSIX;
		POSIX::_exit($failed);
	}
	push @pids, $pid;
}
my $bad = 0;
for my $pid (@pids) {
	waitpid($pid, 0);
	$bad++ if $? != 0;
}
is($bad, 0, "$clients clients inserted $per_client rows each through two routers");

my (%seen, $dups, $decreasing);
for my $c (0 .. $clients - 1) {
	open(my $in, '<', "$dir/ids.$c") or die "$dir/ids.$c: $!";
	my @ids = map { chomp; $_ } <$in>;
	close $in;
	is(scalar(@ids), $per_client, "client $c got $per_client ids back");
	$decreasing += grep { $ids[$_] <= $ids[$_ - 1] } 1 .. $#ids;
	$dups += grep { $seen{$_}++ } @ids;
}
is($dups, 0, 'no id was handed out twice');
is($decreasing, 0, "each session's ids increase");
is(scalar(keys %seen), $clients * $per_client, '100,000 distinct ids');
is($routers[1]->safe_psql('select count(*), count(distinct id) from big'), "100000|100000", 'every row is stored once');
my $sum = 0;
$sum += $_->safe_psql('select count(*) from big') for @shards;
is($sum, 100000, 'on one shard each');
my $ok = 0;
for my $i (0 .. 3) {
	my $id = $shards[$i]->safe_psql('select min(id) from big');
	$ok++ if $routers[0]->safe_psql("explain select * from big where id = $id") =~ /shard \Q$names[$i]\E by vindex hash \(id\)$/m;
}
is($ok, 4, 'a row of each shard is where its id routes');

done_testing();
