# Malformed protocol input on raw TCP sockets: garbage, bad startup packets,
# bad message framing and malformed message bodies.  Each case checks the
# reply PostgreSQL 15 gives to the same bytes (ErrorResponse SQLSTATE and
# severity, whether the connection is closed or goes on), and that neither
# new connections nor an idle session opened beforehand are affected.  Also
# checks --max-message-size.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time);
use DoSQL::Test::ServerNode;
use DoSQL::Test::Utils;
use DoSQL::Test::Wire;

my $timeout = $DoSQL::Test::Utils::timeout_default;

my $node = DoSQL::Test::ServerNode->new_shard('bad_input');
$node->start;

my $startup = startup_packet(user => 'dosql', database => 'dosql');

# ---- expectations

# The server closes the connection, having sent nothing but possibly one
# FATAL ErrorResponse with SQLSTATE 08P01.  (PostgreSQL 15 sends nothing in
# these cases: it logs the error, as COMMERROR, and closes.)
sub expect_closed
{
	my ($r, $what) = @_;
	ok($r->{eof}, "$what: connection closed");
	my $t = types($r);
	ok(($t eq '' || ($t eq 'E' && first_error($r)->{C} eq '08P01')) && $r->{rest} eq '',
		"$what: no reply other than an 08P01 ErrorResponse")
	  or diag("got '$t', error " . (first_error($r)->{C} // 'none'));
}

# The server answers FATAL 08P01 and closes the connection.
sub expect_fatal
{
	my ($r, $what) = @_;
	my $e = first_error($r);
	is($e->{C}, '08P01', "$what: SQLSTATE 08P01");
	is($e->{S}, 'FATAL', "$what: severity FATAL");
	is(types($r) =~ s/^[^E]*//r, 'E', "$what: the ErrorResponse is the last message");
	ok($r->{eof}, "$what: connection closed");
}

# The server answers ERROR 08P01, then ReadyForQuery, and the session goes
# on: a query on it still works.
sub expect_error_and_recover
{
	my ($s, $r, $what) = @_;
	my $e = first_error($r);
	is($e->{C}, '08P01', "$what: SQLSTATE 08P01");
	is($e->{S}, 'ERROR', "$what: severity ERROR");
	like(types($r), qr/EZ$/, "$what: ErrorResponse then ReadyForQuery");
	ok(!$r->{eof}, "$what: connection stays open");
	is(query_value($s, 'select 1'), '1', "$what: the session still answers queries");
}

# Other sessions are unaffected: a new psql connection works.
sub check_others
{
	my ($what) = @_;
	my ($rc, $out, $err) = $node->psql('select 42');
	is($out, '42', "after $what: psql on a new connection works") or diag($err);
}

# ---- the cases

# Opened before any bad input, used again only at the end.
my $idle = session($node);
is(query_value($idle, 'select 7'), '7', 'idle session answers before the bad input');

{
	my $s = raw_connect($node);
	send_bytes($s, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
	expect_closed(read_reply($s), 'HTTP request instead of a startup packet');
	check_others('garbage');
}
{
	my $s = raw_connect($node);
	send_bytes($s, join('', map { chr(($_ * 167 + 13) % 256) } 0 .. 4095));
	expect_closed(read_reply($s), 'binary garbage');
}
{
	my $s = raw_connect($node);
	send_bytes($s, pack('N', 3) . pack('N', 196608));
	expect_closed(read_reply($s), 'startup packet with length word 3');
}
{
	my $s = raw_connect($node);
	send_bytes($s, pack('N', 0x7FFFFFF0) . pack('N', 196608));
	expect_closed(read_reply($s), 'startup packet claiming 2 GiB');
}
{
	# the length word counts fewer bytes than the parameters need
	my $s = raw_connect($node);
	send_bytes($s, pack('N', 12) . pack('N', 196608) . "user\0dosql\0\0");
	my $r = read_reply($s);
	is(first_error($r)->{C}, '08P01', 'startup packet shorter than its parameters: 08P01');
	ok($r->{eof}, 'startup packet shorter than its parameters: connection closed');
}
{
	my $s = raw_connect($node);
	send_bytes($s, substr($startup, 0, 15));
	shutdown($s, 1);
	my $r = read_reply($s);
	ok($r->{eof}, 'truncated startup packet, then close: server closes too');
	is(types($r), '', 'truncated startup packet, then close: no reply');
	check_others('a truncated startup packet');
}

{
	my $s = session($node);
	send_bytes($s, msg('y', 'abc'));
	expect_fatal(read_reply($s), 'unknown message type');
	check_others('an unknown message type');
}
{
	my $s = session($node);
	send_bytes($s, 'Q' . pack('N', 3));
	expect_closed(read_reply($s), 'message length word 3');
}
{
	# Only the header and a few bytes are sent: a server waiting for the
	# rest of the 1 GiB would never answer.  PostgreSQL 15 closes without a
	# reply here; DoSQL must tell the client why (08P01) and close.
	my $s = session($node);
	send_bytes($s, 'Q' . pack('N', 0x40000000) . "select 1\0");
	my $r = read_reply($s);
	expect_fatal($r, 'Query claiming 1 GiB');
	cmp_ok($r->{secs}, '<', 10, 'Query claiming 1 GiB: refused promptly');
	check_others('a 1 GiB length word');
}
{
	my $s = session($node);
	send_bytes($s, msg('Q', 'select 1'));
	expect_error_and_recover($s, read_reply($s, until => 'Z'), 'Query without NUL terminator');
}
{
	# two parameter format codes for one parameter
	my $s = session($node);
	send_bytes($s,
		msg('P', "\0select \$1::int\0" . pack('n', 0))
		  . msg('B', "\0\0" . pack('n', 2) . pack('nn', 0, 0) . pack('n', 1) . pack('N', 1) . '1' . pack('n', 0))
		  . msg('S'));
	my $r = read_reply($s, until => 'Z');
	like(types($r), qr/^1E/, 'Bind with 2 formats for 1 parameter: ParseComplete, then the error');
	is(first_error($r)->{M}, 'bind message has 2 parameter formats but 1 parameters',
		'Bind with 2 formats for 1 parameter: message');
	expect_error_and_recover($s, $r, 'Bind with 2 formats for 1 parameter');
}
{
	# a parameter value whose length word claims more bytes than the message has
	my $s = session($node);
	send_bytes($s,
		msg('P', "\0select \$1::int\0" . pack('n', 0))
		  . msg('B', "\0\0" . pack('n', 0) . pack('n', 1) . pack('N', 10) . '1' . pack('n', 0))
		  . msg('S'));
	expect_error_and_recover($s, read_reply($s, until => 'Z'), 'Bind with a value past the end');
}
{
	my $s = session($node);
	send_bytes($s, msg('S', 'xyz'));
	expect_error_and_recover($s, read_reply($s, until => 'Z'), 'Sync with a body');
}
{
	my $s = session($node);
	send_bytes($s, msg('Q', "select 1\0junk"));
	expect_error_and_recover($s, read_reply($s, until => 'Z'), 'Query with bytes after its string');
	check_others('malformed message bodies');
}

is(query_value($idle, 'select 8'), '8', 'the idle session opened before the bad input still answers');
is(query_value($idle, q{select 'still here'}), 'still here', 'and answers again');

# ---- --max-message-size
{
	my $small = DoSQL::Test::ServerNode->new_shard('max_message', args => [ '--max-message-size', '1024' ]);
	$small->start;

	my $s = session($small);
	is(query_value($s, 'select 5'), '5', '--max-message-size 1024: a small query works');
	my $big = "select '" . ('x' x 2048) . "'";
	send_bytes($s, msg('Q', "$big\0"));
	expect_fatal(read_reply($s), '--max-message-size 1024: a 2 KiB query');

	is($small->safe_psql('select 6'), '6', '--max-message-size 1024: psql still works');
	my ($rc, $out, $err) = $small->psql($big);
	isnt($rc, 0, '--max-message-size 1024: psql with a 2 KiB query fails');
	like($err, qr/invalid message length/, '--max-message-size 1024: psql reports the error');
	$small->stop;
}

done_testing();
