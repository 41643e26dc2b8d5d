# DoSQL::Test::Wire - speak the PostgreSQL v3 protocol on raw sockets, for
# tests that need to send exact message sequences (malformed input, extended
# query pipelines) and look at every reply message.
package DoSQL::Test::Wire;

use strict;
use warnings;
use Exporter 'import';
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time);
use DoSQL::Test::Utils;

our @EXPORT = qw(raw_connect startup_packet msg send_bytes read_reply error_fields types first_error
  session query_value parse_msg bind_msg describe_msg execute_msg close_msg sync_msg flush_msg
  data_row row_description messages_of);

$SIG{PIPE} = 'IGNORE';

sub raw_connect
{
	my ($n) = @_;
	my $s = IO::Socket::INET->new(
		PeerAddr => '127.0.0.1',
		PeerPort => $n->port,
		Proto => 'tcp',
		Timeout => $DoSQL::Test::Utils::timeout_default) or die "connect to port " . $n->port . ": $!";
	binmode $s;
	return $s;
}

sub startup_packet
{
	my (%params) = @_;
	my $body = pack('N', 196608);    # protocol 3.0
	$body .= "$_\0$params{$_}\0" for sort keys %params;
	$body .= "\0";
	return pack('N', length($body) + 4) . $body;
}

# A regular message: type byte, length word, body.
sub msg
{
	my ($type, $body) = @_;
	$body //= '';
	return $type . pack('N', length($body) + 4) . $body;
}

sub send_bytes
{
	my ($s, $bytes) = @_;
	my $off = 0;
	while ($off < length $bytes)
	{
		my $n = syswrite($s, $bytes, length($bytes) - $off, $off);
		return 0 unless $n;
		$off += $n;
	}
	return 1;
}

# Read replies until `until` says stop: 'eof' (the server closes), 'Z' (a
# ReadyForQuery arrived) or a number (that many messages).  Gives up after
# `wait` seconds.  Returns { msgs => [[type, body], ...], eof, rest, secs }.
sub read_reply
{
	my ($s, %o) = @_;
	my $until = $o{until} // 'eof';
	my $wait = $o{wait} // $DoSQL::Test::Utils::timeout_default;
	my $sel = IO::Select->new($s);
	my $start = time;
	my $buf = '';
	my @msgs;
	my $eof;
	while (1)
	{
		while (length($buf) >= 5)
		{
			my ($type, $len) = unpack('aN', $buf);
			last if $len < 4 || length($buf) < $len + 1;
			push @msgs, [ $type, substr($buf, 5, $len - 4) ];
			$buf = substr($buf, $len + 1);
		}
		last if $until eq 'Z' && @msgs && $msgs[-1][0] eq 'Z';
		last if $until =~ /^\d+$/ && @msgs >= $until;
		my $left = $start + $wait - time;
		last if $left <= 0 || !$sel->can_read($left);
		my $n = sysread($s, my $chunk, 65536);
		if (!$n)
		{
			$eof = 1;
			last;
		}
		$buf .= $chunk;
	}
	return { msgs => \@msgs, eof => $eof, rest => $buf, secs => time - $start };
}

# The fields of an ErrorResponse/NoticeResponse body, by field code.
sub error_fields
{
	my ($body) = @_;
	my %f;
	for my $field (split /\0/, $body)
	{
		$f{ substr($field, 0, 1) } = substr($field, 1) if length $field;
	}
	return \%f;
}

sub types { return join '', map { $_->[0] } @{ $_[0]->{msgs} }; }

sub messages_of
{
	my ($r, $type) = @_;
	return grep { $_->[0] eq $type } @{ $r->{msgs} };
}

sub first_error
{
	my ($r) = @_;
	my ($e) = messages_of($r, 'E');
	return $e ? error_fields($e->[1]) : {};
}

# A session past startup (trust auth): the socket, after ReadyForQuery.
sub session
{
	my ($n, %params) = @_;
	my $s = raw_connect($n);
	send_bytes($s, startup_packet(user => 'dosql', database => 'dosql', %params));
	my $r = read_reply($s, until => 'Z');
	die "startup failed: " . types($r) unless types($r) =~ /^R.*Z$/ && !$r->{eof};
	return $s;
}

# Run one simple query; the first column of the first row, or undef.
sub query_value
{
	my ($s, $sql) = @_;
	return undef unless send_bytes($s, msg('Q', "$sql\0"));
	my $r = read_reply($s, until => 'Z');
	my ($row) = messages_of($r, 'D');
	return undef unless $row && types($r) =~ /Z$/;
	my ($v) = data_row($row->[1]);
	return $v;
}

# ---- extended query protocol messages

sub parse_msg
{
	my ($name, $sql, @oids) = @_;
	return msg('P', "$name\0$sql\0" . pack('n', scalar @oids) . join('', map { pack('N', $_) } @oids));
}

# bind_msg(portal, statement, \@param_formats, \@params (undef = NULL), \@result_formats)
sub bind_msg
{
	my ($portal, $stmt, $pf, $params, $rf) = @_;
	my $b = "$portal\0$stmt\0" . pack('n', scalar @$pf) . join('', map { pack('n', $_) } @$pf);
	$b .= pack('n', scalar @$params);
	$b .= defined $_ ? pack('N', length $_) . $_ : pack('N', 0xFFFFFFFF) for @$params;
	$b .= pack('n', scalar @$rf) . join('', map { pack('n', $_) } @$rf);
	return msg('B', $b);
}

sub describe_msg { my ($kind, $name) = @_; return msg('D', "$kind$name\0"); }
sub execute_msg { my ($portal, $max) = @_; return msg('E', "$portal\0" . pack('N', $max // 0)); }
sub close_msg { my ($kind, $name) = @_; return msg('C', "$kind$name\0"); }
sub sync_msg { return msg('S'); }
sub flush_msg { return msg('H'); }

# Values of a DataRow body (undef for NULL).
sub data_row
{
	my ($body) = @_;
	my $n = unpack('n', $body);
	my $off = 2;
	my @v;
	for (1 .. $n)
	{
		my $len = unpack('N', substr($body, $off, 4));
		$off += 4;
		if ($len == 0xFFFFFFFF)
		{
			push @v, undef;
			next;
		}
		push @v, substr($body, $off, $len);
		$off += $len;
	}
	return @v;
}

# Fields of a RowDescription body: [{name, table_oid, attnum, type, typlen, typmod, format}, ...]
sub row_description
{
	my ($body) = @_;
	my $n = unpack('n', $body);
	my $off = 2;
	my @f;
	for (1 .. $n)
	{
		my $end = index($body, "\0", $off);
		my $name = substr($body, $off, $end - $off);
		$off = $end + 1;
		my ($toid, $attnum, $type, $typlen, $typmod, $format) = unpack('NnNnNn', substr($body, $off, 18));
		$off += 18;
		push @f, { name => $name, table_oid => $toid, attnum => $attnum, type => $type,
			typlen => ($typlen > 32767 ? $typlen - 65536 : $typlen),
			typmod => ($typmod > 2147483647 ? $typmod - 4294967296 : $typmod), format => $format };
	}
	return \@f;
}

1;
