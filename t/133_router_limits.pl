# The router's connection limits: max_connections_per_ip (1,000
# connections from one address with a limit of 100 get 900 clear
# refusals and 100 working sessions), connections_per_second (a burst is
# refused while a session opened before it goes on), authentication_timeout_ms
# (raw sockets that never send a startup packet are closed), max_message_size
# (a larger message ends the connection with 08P01), and a bad value of a
# setting stops the router at start-up naming the file and the key.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IO::Socket::INET;
use IO::Select;
use JSON::PP;
use File::Spec;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Wire;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing program_missing);
use DoSQL::Test::Utils qw(poll_until write_file slurp_file run_command free_port);

require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl'), program_missing([ 'curl', '--version' ], 'curl'));
require DBI;

my $c = DoSQL::Test::Cluster->new('limits',
	shards => 2,
	tables => { kv => { column_vindexes => [ { column => 'id', name => 'hash' } ] } },
	router_config => { max_connections_per_ip => 100, authentication_timeout_ms => 1000, max_message_size => 65536 });
$c->start;
my $router = $c->router;
$router->safe_psql('create table kv (id int primary key, v text)');
my $dsn = 'dbi:Pg:host=' . $router->host . ';port=' . $router->port . ';dbname=dosql';

# 1,000 connections from 127.0.0.1: 100 sessions, 900 refusals
# A new connection over the wire: its socket after ReadyForQuery, or the
# SQLSTATE and message of the error that refused it.
sub open_session
{
	my $s = raw_connect($router);
	send_bytes($s, startup_packet(user => 'dosql', database => 'dosql'));
	my $r = read_reply($s, until => 'Z');
	return ($s) if types($r) =~ /^R.*Z$/ && !$r->{eof};
	my $e = first_error($r);
	return (undef, ($e->{C} // '?') . ' ' . ($e->{M} // types($r)));
}
my (@held, %refusals);
for (1 .. 1000) {
	my ($s, $why) = open_session();
	if ($s) { push @held, $s; } else { $refusals{$why}++; }
}
is(scalar @held, 100, '100 sessions from one address');
is_deeply(\%refusals, { '53300 too many connections from this address (max_connections_per_ip is 100)' => 900 },
	'900 refusals with 53300 naming the limit') or diag(explain(\%refusals));
is(scalar(grep { (query_value($_, 'select 1') // '') eq '1' } @held), 100, 'the 100 sessions work');
close $_ for @held;
@held = ();
ok(poll_until(sub { my ($s) = open_session(); $s }), 'a client comes in once they left');

# raw sockets that never send a startup packet are closed
my @raw = map { IO::Socket::INET->new(PeerAddr => $router->host, PeerPort => $router->port, Proto => 'tcp') } 1 .. 200;
is(scalar(grep { defined } @raw), 200, '200 raw connections');
my $closed = 0;
ok(poll_until(sub {
	for my $s (@raw) {
		next unless $s;
		next unless IO::Select->new($s)->can_read(0);
		my $n = sysread($s, my $buf, 100);
		if (defined $n && $n == 0) { $closed++; close $s; $s = undef; }
	}
	return $closed == 200;
}), 'each is closed by authentication_timeout_ms') or diag("$closed closed");
is($router->safe_psql('select 1'), '1', 'the router answers');

# a message past max_message_size ends that connection with 08P01
my $dbh = DBI->connect($dsn, 'dosql', '', { RaiseError => 0, PrintError => 0 });
ok(!defined $dbh->do("select '" . ('x' x 70000) . "'"), 'a query of 70,000 bytes fails');
like($dbh->errstr, qr/invalid message length/, 'as an invalid message length');
is($router->safe_psql("select length('" . ('x' x 60000) . "')"), '60000', 'one of 60,000 bytes runs');

# connections_per_second: a burst is refused, a session opened before goes on
$c->stop;
my $cfg = decode_json(slurp_file($c->config_file));
$cfg->{connections_per_second} = 2;
$cfg->{connections_burst} = 3;
my $http_port = free_port();
$cfg->{http} = { host => '127.0.0.1', port => $http_port + 0 };
delete $cfg->{max_connections_per_ip};
write_file($c->config_file, encode_json($cfg));
$c->start;
my $keep = DBI->connect($dsn, 'dosql', '', { RaiseError => 1, PrintError => 0 });
my ($ok, $refused, $msg) = (0, 0, '');
for (1 .. 40) {
	my ($s, $why) = open_session();
	if ($s) { $ok++; close $s; next; }
	$refused++;
	$msg = $why;
}
ok($refused > 0, "a burst of 40 connections: $refused refused, $ok let in");
like($msg, qr/^53300 too many new connections \(connections_per_second is 2, connections_burst 3\)/,
	'refused with 53300 naming the limit') or diag($msg);
is(scalar(grep { $keep->selectrow_array("select $_") == $_ } 1 .. 20), 20,
	'the session opened before the burst completes its statements');

# the HTTP SQL API shares the bucket: 429 with Retry-After when it is empty
my ($h429, $hdr) = (0, '');
for (1 .. 20) {
	my ($hrc, $hout) = run_command([ 'curl', '-s', '-i', '-m', '30', '-u', 'dosql:x', '-X', 'POST', '--data-binary',
			'{"sql": "select 1"}', "http://127.0.0.1:$http_port/sql/query" ]);
	if ($hout =~ m{^HTTP/1\.1 429}) { $h429++; $hdr = $hout; }
}
ok($h429 > 0, "a burst of 20 SQL requests: $h429 got 429");
like($hdr, qr/^Retry-After: 1\r?$/mi, 'with Retry-After');
like($hdr, qr/"code":\s*"53300"/, 'and SQLSTATE 53300');
ok(poll_until(sub {
	my (undef, $o) = run_command([ 'curl', '-s', '-m', '30', '-u', 'dosql:x', '-X', 'POST', '--data-binary',
			'{"sql": "select 1"}', "http://127.0.0.1:$http_port/sql/query" ]);
	return ($o // '') =~ /"rows":\s*\[\[1\]\]/;
}), 'a request goes through once the bucket filled again');
$keep->disconnect;
$c->stop;

# a bad value stops the router at start-up, naming the file and the key
my $bin = $ENV{DOSQL_BINDIR} // 'bin';
for my $bad ([ max_connections_per_ip => -1 ], [ connections_per_second => 'x' ], [ authentication_timeout_ms => 1.5 ],
	[ max_message_size => 10 ], [ http => { port => 0 } ], [ admin_token => 'short' ], [ max_client_conn => -5 ],
	[ pool_size => -1 ], [ acquire_timeout_ms => 0 ], [ idle_timeout_ms => 'x' ])
{
	my %c2 = (%$cfg, $bad->[0] => $bad->[1]);
	my $file = File::Spec->catfile($c->basedir, 'bad.json');
	write_file($file, encode_json(\%c2));
	my ($rc, $out, $err) = run_command([ "$bin/dosql", '--config', $file ], timeout => 30);
	isnt($rc, 0, "$bad->[0] = " . encode_json([ $bad->[1] ]) . ' stops the router');
	like($err, qr/\Q$file\E: \Q$bad->[0]\E: expected/, '... naming the file and the key');
}

done_testing();
