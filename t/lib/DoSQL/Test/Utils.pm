
=pod

=head1 NAME

DoSQL::Test::Utils - small helpers shared by DoSQL's TAP tests

=head1 SYNOPSIS

  use DoSQL::Test::Utils qw(slurp_file run_command poll_until free_port);

  my ($rc, $out, $err) = run_command([ 'pg_isready', '-h', '127.0.0.1',
                                       '-p', $port ]);
  poll_until(sub { -e $file }) or die "no $file";
  my $port = free_port();     # reserved for this process until it exits

=head1 DESCRIPTION

Everything here is independent of any server: reading and writing files,
running a command with a timeout, polling a condition, and reserving a free
TCP port on the loopback interface that no other test running concurrently
(C<prove -j>) can be handed.

C<$DoSQL::Test::Utils::timeout_default> is the number of seconds any wait in
the harness may take; it comes from the environment variable
C<DOSQL_TEST_TIMEOUT> (default 60).

=cut

package DoSQL::Test::Utils;

use strict;
use warnings;

use Carp;
use Exporter 'import';
use Fcntl qw(:flock O_RDWR O_CREAT);
use File::Path qw(make_path);
use File::Spec;
use File::Temp ();
use IPC::Run ();
use Socket qw(AF_INET SOCK_STREAM SOL_SOCKET SO_REUSEADDR INADDR_ANY
  inet_aton pack_sockaddr_in);
use Time::HiRes qw(usleep time);

our @EXPORT_OK = qw(
  slurp_file write_file append_to_file
  run_command poll_until
  free_port release_ports
  $timeout_default $poll_interval
);

our $timeout_default = $ENV{DOSQL_TEST_TIMEOUT} // 60;
croak "DOSQL_TEST_TIMEOUT must be a positive number of seconds"
  unless $timeout_default =~ /^\d+(\.\d+)?$/ && $timeout_default > 0;

# Seconds between two checks of a polled condition.
our $poll_interval = 0.05;

# Directory holding one lock file per reserved port, shared by every test
# process on the machine.
our $port_lock_dir = $ENV{DOSQL_TEST_PORT_DIR} // '/tmp/dosql_test_ports';

# Ports reserved by this process: port => open, flock'ed file handle.
my %reserved_ports;

# The process that loaded this module; children forked from it (IPC::Run,
# tests that fork) must not release its reservations.
my $owner_pid = $$;

=pod

=head1 FUNCTIONS

=over

=item slurp_file($path [, $offset])

Returns the content of C<$path>, from byte C<$offset> if given.
Dies if the file cannot be read.

=cut

sub slurp_file
{
	my ($path, $offset) = @_;

	open my $fh, '<:raw', $path or croak "could not read \"$path\": $!";
	if (defined $offset)
	{
		seek($fh, $offset, 0) or croak "could not seek \"$path\": $!";
	}
	local $/;
	my $content = <$fh> // '';
	close $fh;
	return $content;
}

=pod

=item write_file($path, $content)

Replaces C<$path> with C<$content>. Dies on failure.

=item append_to_file($path, $content)

Appends C<$content> to C<$path>, creating it if needed. Dies on failure.

=cut

sub write_file
{
	my ($path, $content) = @_;
	_write($path, '>', $content);
	return;
}

sub append_to_file
{
	my ($path, $content) = @_;
	_write($path, '>>', $content);
	return;
}

sub _write
{
	my ($path, $mode, $content) = @_;

	open my $fh, "$mode:raw", $path
	  or croak "could not open \"$path\" for writing: $!";
	print $fh $content or croak "could not write \"$path\": $!";
	close $fh or croak "could not close \"$path\": $!";
	return;
}

=pod

=item run_command(\@argv, %opts) -> ($rc, $stdout, $stderr)

Runs C<@argv> (no shell) and returns its exit code and its output. The exit
code is 128 + the signal number when the command was killed by a signal,
like a shell reports it. In scalar context returns only C<$rc>.

Options: C<stdin> (a string fed to the command; default empty),
C<timeout> (seconds; default C<$timeout_default>), C<env> (a hash of
environment variables to set, C<undef> values unset them), C<timed_out>
(a scalar ref set to 1 on timeout; without it a timeout dies).
A command that cannot be started dies.

=cut

sub run_command
{
	my ($argv, %opts) = @_;

	croak "run_command needs an array reference" unless ref $argv eq 'ARRAY';
	my $stdin = $opts{stdin} // '';
	my ($stdout, $stderr) = ('', '');
	my $timeout = IPC::Run::timeout($opts{timeout} // $timeout_default);

	local %ENV = %ENV;
	_apply_env($opts{env});

	# The child reads its input from a file, not a pipe: a child that exits
	# before reading it (psql refused at authentication) must not kill this
	# process with SIGPIPE or fail the write with EPIPE.
	my $in = File::Temp->new(TEMPLATE => 'stdin-XXXXXX', TMPDIR => 1);
	binmode $in;
	print {$in} $stdin or croak "could not write $in: $!";
	close $in or croak "could not write $in: $!";
	my $harness = IPC::Run::start($argv, '<', $in->filename, '>', \$stdout,
		'2>', \$stderr, $timeout);
	my $timed_out = 0;
	eval { $harness->finish; 1 } or do {
		my $err = $@;
		die $err unless $timeout->is_expired;
		$harness->kill_kill;
		$timed_out = 1;
	};
	if ($timed_out)
	{
		if ($opts{timed_out})
		{
			${ $opts{timed_out} } = 1;
		}
		else
		{
			croak "command timed out: @$argv\nstderr: $stderr";
		}
	}
	${ $opts{timed_out} } = 0 if $opts{timed_out} && !$timed_out;

	my $status = $harness->full_result(0);
	my $rc = $status & 127 ? 128 + ($status & 127) : $status >> 8;
	return wantarray ? ($rc, $stdout, $stderr) : $rc;
}

# Sets (or, for undef values, deletes) environment variables in %ENV.
sub _apply_env
{
	my ($env) = @_;
	return unless $env;
	while (my ($k, $v) = each %$env)
	{
		if (defined $v) { $ENV{$k} = $v; }
		else { delete $ENV{$k}; }
	}
	return;
}

=pod

=item poll_until(\&cond [, $timeout])

Calls C<cond> every C<$poll_interval> seconds until it returns a true value
or C<$timeout> seconds (default C<$timeout_default>) have passed. Returns the
true value, or 0 on timeout. Never sleeps after the condition holds.

=cut

sub poll_until
{
	my ($cond, $timeout) = @_;

	my $deadline = time + ($timeout // $timeout_default);
	while (1)
	{
		my $r = $cond->();
		return $r if $r;
		return 0 if time >= $deadline;
		usleep($poll_interval * 1_000_000);
	}
}

=pod

=item free_port()

Returns a TCP port that can be bound on 127.0.0.1 and on all interfaces right
now and that no other process using this module holds. The port stays
reserved for this process (an flock'ed file C<< <port>.lock >> in
C<$DoSQL::Test::Utils::port_lock_dir>, env C<DOSQL_TEST_PORT_DIR>) until it
exits or calls C<release_ports>. Ports are taken outside the kernel's
ephemeral range so that outgoing connections cannot grab them in between.
Dies when no port is free.

=cut

sub free_port
{
	my @ranges = _candidate_ranges();
	my $total = 0;
	$total += $_->[1] - $_->[0] + 1 for @ranges;

	make_path($port_lock_dir) unless -d $port_lock_dir;
	# Any user's tests may share the directory; sticky so that only the
	# owner of a lock file can remove it.
	chmod 01777, $port_lock_dir if -o $port_lock_dir;

	my $start = int(rand($total));
	for my $i (0 .. $total - 1)
	{
		my $port = _nth_port(\@ranges, ($start + $i) % $total);
		next if $reserved_ports{$port};
		next unless _can_bind('127.0.0.1', $port) && _can_bind(undef, $port);
		return $port if _reserve($port);
	}
	croak "no free TCP port found";
}

# The port ranges free_port picks from: 10000-65535 minus the ephemeral range.
sub _candidate_ranges
{
	my ($lo, $hi) = (32768, 60999);
	if (open my $fh, '<', '/proc/sys/net/ipv4/ip_local_port_range')
	{
		my $line = <$fh> // '';
		($lo, $hi) = ($1, $2) if $line =~ /^\s*(\d+)\s+(\d+)/;
		close $fh;
	}
	my @ranges;
	push @ranges, [ 10000, $lo - 1 ] if $lo - 1 >= 10000;
	push @ranges, [ $hi + 1, 65535 ] if $hi + 1 <= 65535;
	@ranges = ([ 10000, 65535 ]) unless @ranges;
	return @ranges;
}

sub _nth_port
{
	my ($ranges, $n) = @_;
	for my $r (@$ranges)
	{
		my $len = $r->[1] - $r->[0] + 1;
		return $r->[0] + $n if $n < $len;
		$n -= $len;
	}
	croak "port index out of range";
}

# True if a listening TCP socket can be bound to $addr:$port (all interfaces
# when $addr is undef).
sub _can_bind
{
	my ($addr, $port) = @_;

	my $iaddr = defined $addr ? inet_aton($addr) : INADDR_ANY;
	socket(my $sock, AF_INET, SOCK_STREAM, 0) or croak "socket: $!";
	setsockopt($sock, SOL_SOCKET, SO_REUSEADDR, pack('l', 1));
	my $ok = bind($sock, pack_sockaddr_in($port, $iaddr)) && listen($sock, 1);
	close $sock;
	return $ok ? 1 : 0;
}

# Takes the lock file of $port without blocking. The lock is held as long as
# the handle stays open, so a crashed test never leaves a port reserved.
# Returns 1 if this process now holds the port, 0 if another one does.
sub _reserve
{
	my ($port) = @_;

	my $path = "$port_lock_dir/$port.lock";
	sysopen(my $fh, $path, O_RDWR | O_CREAT, 0644) or return 0;
	unless (flock($fh, LOCK_EX | LOCK_NB))
	{
		close $fh;
		return 0;
	}

	# The previous holder unlinks its file on release; a lock taken on such
	# an unlinked file reserves nothing, since a newcomer creates a new file.
	my @held = stat($fh);
	my @named = stat($path);
	unless (@named && $held[0] == $named[0] && $held[1] == $named[1])
	{
		close $fh;
		return 0;
	}

	truncate($fh, 0);
	syswrite($fh, "$$\n");
	$reserved_ports{$port} = $fh;
	return 1;
}

=pod

=item release_ports(@ports)

Gives up this process's reservation of C<@ports> (all of them when the list
is empty). Called automatically when the process exits.

=cut

sub release_ports
{
	my @ports = @_ ? @_ : keys %reserved_ports;

	return unless $$ == $owner_pid;
	for my $port (@ports)
	{
		my $fh = delete $reserved_ports{$port} or next;
		unlink "$port_lock_dir/$port.lock";
		close $fh;
	}
	return;
}

END
{
	my $exit_code = $?;
	release_ports();
	$? = $exit_code;
}

=pod

=back

=cut

1;
