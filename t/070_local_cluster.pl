# tools/local-cluster, which `make run` runs: the shipped etc/ files (on free
# ports) start four shards and the router; psql logs in with the SCRAM user
# of etc/passwd, rows spread over the shards; SIGTERM stops everything and
# the data is there after a restart.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use File::Copy qw(copy);
use File::Temp ();
use JSON::PP;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Utils qw(slurp_file write_file);

my $json = JSON::PP->new->canonical->pretty;
my $vschema = $json->decode(slurp_file('etc/vschema.json'));
my $config = $json->decode(slurp_file('etc/dosql.json'));

my $rport = DoSQL::Test::ServerNode::reserve_port();
my @shard_ports = map { DoSQL::Test::ServerNode::reserve_port() } @{ $vschema->{shards} };
$vschema->{shards}[$_]{port} = $shard_ports[$_] for 0 .. $#shard_ports;
$config->{listen}{port} = $rport;
$config->{http}{port} = DoSQL::Test::ServerNode::reserve_port() + 0 if $config->{http};

# A node running tools/local-cluster with this VSchema and router config
# (and etc/passwd) in its directory.
sub local_cluster
{
	my ($name, $vs, $cfg) = @_;
	my $node = DoSQL::Test::ServerNode->new($name, port => $cfg->{listen}{port}, password => 'dosql',
		user => 'dosql', dbname => 'dosql',
		command => sub {
			my ($n) = @_;
			return ('tools/local-cluster', '--data', $n->data_dir, '--config', $n->basedir . '/dosql.json');
		},
		env => { DOSQL_BINDIR => $DoSQL::Test::ServerNode::bindir });
	my $dir = $node->basedir;
	write_file("$dir/vschema.json", $json->encode($vs));
	write_file("$dir/dosql.json", $json->encode($cfg));
	copy('etc/passwd', "$dir/passwd") or die "copy etc/passwd: $!";
	return $node;
}

my $cluster = local_cluster('local_cluster', $vschema, $config);

$cluster->start;
my ($rc, $out, $err) = $cluster->psql('select 1', connstr => "host=127.0.0.1 port=$rport user=dosql dbname=dosql password=wrong");
like($err, qr/password authentication failed for user "dosql"/, 'a wrong password is refused');

my $tables = join(', ', sort keys %{ $vschema->{tables} });
ok($tables ne '', "etc/vschema.json names tables ($tables)");
my ($table) = grep { ($vschema->{tables}{$_}{column_vindexes} // [])->[0] } sort keys %{ $vschema->{tables} };
my $col = $vschema->{tables}{$table}{column_vindexes}[0]{column};
# DoLake, started after the router, creates its slot on every shard; DDL
# meanwhile could meet its writes (40001), so tables come once it streams
sub lake_streams
{
	my ($c) = @_;
	my $log = $c->data_dir . '/lake.log';
	return DoSQL::Test::Utils::poll_until(sub { -f $log && slurp_file($log) =~ /dosql-lake: streaming/ });
}
ok(lake_streams($cluster), 'DoLake streams the router\'s changes');
$cluster->safe_psql("create table $table ($col bigint primary key, note text)");
$cluster->safe_psql("insert into $table ($col, note) values ($_, 'row $_')") for 1 .. 40;
is($cluster->safe_psql("select count(*), sum($col) from $table"), '40|820', "40 rows of $table through the router");
ok(DoSQL::Test::Utils::poll_until(sub { my @f = glob($cluster->data_dir . "/warehouse/dosql/$table/data/*/*.parquet"); @f }),
	'DoLake, started with the cluster, writes the changes as Parquet files in the data directory');

my @per_shard = map {
	my $node = DoSQL::Test::ServerNode->new("shard$_", port => $shard_ports[$_], command => [ 'true' ]);
	$node->safe_psql("select count(*) from $table");
} 0 .. $#shard_ports;
is(scalar(grep { $_ > 0 } @per_shard), scalar(@shard_ports), "rows on every shard (@per_shard)");

is($cluster->stop, 0, 'SIGTERM stops the cluster with status 0');
my $log = slurp_file($cluster->logfile);
like($log, qr/local-cluster: stopped/, 'it says it stopped');
for my $port ($rport, @shard_ports) {
	my ($prc) = DoSQL::Test::Utils::run_command([ DoSQL::Test::ServerNode::pg_program('pg_isready'), '-h', '127.0.0.1', '-p', $port ]);
	isnt($prc, 0, "nothing listens on port $port any more");
}

$cluster->start;
is($cluster->safe_psql("select note from $table where $col = 17"), 'row 17', 'the data is there after a restart');
is($cluster->stop, 0, 'stopped again');
my @reports = grep { slurp_file($_) =~ /Sanitizer|runtime error/ } glob($cluster->data_dir . '/{shard-*,lake}.log');
is("@reports", '', 'no sanitizer report in the shard and DoLake logs');

# shards the router reaches over unix-domain sockets ("socket_dir" instead
# of "host" in the VSchema)
my $sock_vschema = $json->decode(slurp_file('etc/vschema.json'));
my $sport = DoSQL::Test::ServerNode::reserve_port();
my $sockdir = File::Temp::tempdir('dosqlsockXXXXXX', TMPDIR => 1, CLEANUP => 1);
for my $i (0 .. $#{ $sock_vschema->{shards} }) {
	delete $sock_vschema->{shards}[$i]{host};
	$sock_vschema->{shards}[$i]{socket_dir} = $sockdir;
	$sock_vschema->{shards}[$i]{port} = DoSQL::Test::ServerNode::reserve_port();
}
my $sock_cluster = local_cluster('socket_cluster', $sock_vschema,
	{ %$config, listen => { %{ $config->{listen} }, port => $sport } });
$sock_cluster->start;
ok(lake_streams($sock_cluster), 'DoLake streams the changes of the cluster behind unix-domain sockets');
$sock_cluster->safe_psql("create table $table ($col bigint primary key, note text)");
$sock_cluster->safe_psql("insert into $table ($col, note) values ($_, 'row $_')") for 1 .. 40;
is($sock_cluster->safe_psql("select count(*), sum($col) from $table"), '40|820', 'shards behind unix-domain sockets');
my @socks = map { "$sockdir/.s.PGSQL.$_->{port}" } @{ $sock_vschema->{shards} };
is(scalar(grep { -S $_ } @socks), scalar(@socks), 'each shard listens on its socket in the socket_dir');
like($sock_cluster->safe_psql('show stats'), qr{\Q$sockdir\E/\.s\.PGSQL\.\d+}, 'SHOW STATS names the socket');
is($sock_cluster->stop, 0, 'that cluster stops too');

done_testing();
