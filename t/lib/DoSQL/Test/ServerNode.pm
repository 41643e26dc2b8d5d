=pod

=head1 NAME

DoSQL::Test::ServerNode - a server process started by a DoSQL TAP test

=head1 SYNOPSIS

  use lib 't/lib';
  use DoSQL::Test::ServerNode;
  use Test::More;

  my $shard = DoSQL::Test::ServerNode->new_shard('shard1');
  $shard->start;                       # or ->start('--auth', 'md5', ...)
  is($shard->safe_psql('SELECT 1'), '1', 'shard answers');

  my ($rc, $out, $err) = $shard->psql('SELECT * FROM missing');
  like($err, qr/does not exist/, 'error reaches the client');

  $shard->poll_query_until('SELECT count(*) = 3 FROM t') or die;
  $shard->restart;
  $shard->kill9;

  # Any other program: the command is built at each start.
  my $admin_port = DoSQL::Test::ServerNode::reserve_port();
  my $router = DoSQL::Test::ServerNode->new('router',
      command => sub {
          my ($node, @extra) = @_;
          return ("$DoSQL::Test::ServerNode::bindir/dosql",
                  '--config', $node->basedir . '/router.conf', @extra);
      });

  done_testing();

=head1 DESCRIPTION

A node is one server process (C<dosql-shard>, the C<dosql> router, or any
other program speaking the PostgreSQL protocol) with its own directory, a TCP
port on 127.0.0.1 reserved so that concurrent tests (C<prove -j4>) never get
the same one, a unix socket directory and a log file receiving the process's
stdout and stderr.

Every node of a test lives under one temporary directory. When the test
process exits, an C<END> block stops the nodes still running (SIGTERM, then
SIGKILL after 10 s) and releases their ports. If every test passed, the
directory is removed; otherwise it is kept and the log files are listed.
C<DOSQL_TEST_NOCLEAN=1> keeps it in any case.

If a node's log contains a report from AddressSanitizer, LeakSanitizer or
UndefinedBehaviorSanitizer, the C<END> block prints it and makes the test
file fail, even when every assertion passed.

Environment: C<DOSQL_BINDIR> (where C<dosql-shard> and C<dosql> are;
default the repository's C<bin/>), C<DOSQL_TEST_TIMEOUT> (seconds any wait
may take; default 60), C<DOSQL_TEST_TMPDIR> (where the test directories are
made; default the system temporary directory), C<DOSQL_PG_BINDIR> (where
C<psql> and C<pg_isready> are; default the newest
C</usr/lib/postgresql/*/bin>, else C<PATH>). Variables C<PG*> that libpq
reads are removed from the environment so that only the connection string
decides where a client connects.

Package variables: C<$DoSQL::Test::ServerNode::repo_dir> (the checkout),
C<$bindir> and C<$pg_bindir> (as above).  A sharded cluster of such nodes
is L<DoSQL::Test::Cluster>; a real PostgreSQL to compare with,
L<DoSQL::Test::Oracle>.

=cut

package DoSQL::Test::ServerNode;

use strict;
use warnings;

use Carp;
use Cwd ();
use File::Basename qw(basename dirname);
use File::Path qw(make_path remove_tree);
use File::Spec;
use File::Temp ();
use IO::Socket::INET;
use IPC::Run ();
use JSON::PP ();
use POSIX qw(WNOHANG);
use Test::More ();
use Time::HiRes qw(usleep time);

use DoSQL::Test::Utils qw(slurp_file poll_until free_port run_command);

our $repo_dir =
  Cwd::abs_path(File::Spec->catdir(dirname(__FILE__), '..', '..', '..', '..'));

our $bindir = $ENV{DOSQL_BINDIR} // "$repo_dir/bin";

our $pg_bindir = $ENV{DOSQL_PG_BINDIR} // _find_pg_bindir();

# Seconds stop() waits after SIGTERM before it sends SIGKILL.
our $stop_timeout = 10;

# Every node created by this process, in creation order.
my @all_nodes;

# Names taken in the test directory (by nodes and by clusters).
my %dir_names;

# The directory holding every node of this test, made on first use.
my $test_dir;

# Short directory for unix sockets when the test directory's path is too
# long for sun_path; made on first use.
my $short_socket_root;

my $owner_pid = $$;

# Only the connection string decides where clients connect.
delete $ENV{$_} for grep { /^PG[A-Z]/ } keys %ENV;

# A test killed by a signal still stops its servers and releases its ports.
for my $sig (qw(INT TERM HUP))
{
	$SIG{$sig} = sub { exit(128 + _signum($sig)); }
	  unless defined $SIG{$sig} && ref $SIG{$sig};
}

sub _signum
{
	my ($name) = @_;
	my %num = (HUP => 1, INT => 2, TERM => 15);
	return $num{$name};
}

sub _find_pg_bindir
{
	my @dirs =
	  sort { (basename(dirname($b)) <=> basename(dirname($a))) }
	  grep { -x "$_/psql" && basename(dirname($_)) =~ /^\d+$/ }
	  glob('/usr/lib/postgresql/*/bin');
	return $dirs[0];
}

=pod

=head1 FUNCTIONS

=over

=item DoSQL::Test::ServerNode::pg_program($name)

The path of a PostgreSQL client program (C<psql>, C<pgbench>,
C<pg_recvlogical>, ...): in C<$pg_bindir> if set, else found in C<PATH>.

=cut

sub pg_program
{
	my ($name) = @_;
	return defined $pg_bindir ? "$pg_bindir/$name" : $name;
}

=pod

=item DoSQL::Test::ServerNode::claim_dir($name)

The directory C<$name> in the test's directory, made now; dies when a node
or a cluster of this test already has that name.

=back

=cut

sub claim_dir
{
	my ($name) = @_;

	croak "name must be a non-empty word" unless defined $name && $name =~ /^[A-Za-z0-9_.-]+$/;
	croak "a node or cluster named \"$name\" already exists" if $dir_names{$name};
	$dir_names{$name} = 1;
	my $dir = File::Spec->catdir(_test_dir(), $name);
	make_path($dir);
	return $dir;
}

sub _test_dir
{
	return $test_dir if defined $test_dir;

	my $base = $ENV{DOSQL_TEST_TMPDIR} // File::Spec->tmpdir;
	make_path($base) unless -d $base;
	my $test = basename($0);
	$test =~ s/\.(pl|t)$//;
	$test =~ s/[^A-Za-z0-9_-]/_/g;
	$test_dir = File::Temp::tempdir("dosql_${test}_XXXXXX",
		DIR => $base, CLEANUP => 0);
	return $test_dir;
}

=pod

=head1 CLASS METHODS

=over

=item DoSQL::Test::ServerNode::reserve_port()

Returns a free TCP port reserved for this test process until it exits (see
C<DoSQL::Test::Utils::free_port>). For programs that listen on more than one
port, such as the router's admin and HTTP ports.

=cut

sub reserve_port
{
	return free_port();
}

=pod

=item DoSQL::Test::ServerNode->new($name, %opts)

Creates (but does not start) a node. C<$name> must be unique in the test.
Options:

=over

=item command => [argv...] | sub { my ($node, @extra) = @_; return @argv }

The program to run. An array is run as is, followed by the arguments given
to C<start>; a sub is called at every start with the node and those
arguments and returns the whole argv. Required.

=item port => N

The port clients connect to; default a newly reserved one.

=item host => ADDR

The address clients connect to; default 127.0.0.1.

=item ready => 'pg_isready' | 'tcp' | 'none' | sub { my ($node) = @_; ... }

How C<start> knows the server accepts connections: C<pg_isready> succeeds
(default), a TCP connection to the port succeeds, no check, or the sub
returns true.

=item env => { VAR => value, ... }

Environment of the process on top of the test's (C<undef> removes a
variable).

=item user => NAME, dbname => NAME

Defaults used by C<connstr>; both C<dosql> unless given.

=item password => SECRET

A password C<connstr> adds unless told otherwise; default none.

=back

=cut

sub new
{
	my ($class, $name, %opts) = @_;

	croak "new needs command => [...] or sub { ... }"
	  unless ref $opts{command} eq 'ARRAY' || ref $opts{command} eq 'CODE';

	my $basedir = claim_dir($name);
	my $self = bless {
		name => $name,
		command => $opts{command},
		port => $opts{port} // reserve_port(),
		host => $opts{host} // '127.0.0.1',
		ready => $opts{ready} // 'pg_isready',
		env => $opts{env} // {},
		user => $opts{user} // 'dosql',
		dbname => $opts{dbname} // 'dosql',
		password => $opts{password},
		basedir => $basedir,
		data_dir => File::Spec->catdir($basedir, 'data'),
		logfile => File::Spec->catfile($basedir, "$name.log"),
		pid => undef,
		exit_status => undef,
		extra_args => [],
	}, $class;

	make_path($self->{data_dir});
	$self->{socket_dir} = $self->_make_socket_dir;
	push @all_nodes, $self;
	return $self;
}

# Makes the node's unix socket directory, short enough that
# "<dir>/.s.PGSQL.<port>" fits in sun_path (108 bytes on Linux).
sub _make_socket_dir
{
	my ($self) = @_;

	my $dir = File::Spec->catdir($self->{basedir}, 'sock');
	if (length("$dir/.s.PGSQL.65535") >= 100)
	{
		$short_socket_root //= File::Temp::tempdir('dosqlsXXXXXX',
			TMPDIR => 1, CLEANUP => 0);
		$dir = File::Spec->catdir($short_socket_root, scalar(@all_nodes));
	}
	make_path($dir);
	chmod 0700, $dir;
	return $dir;
}

=pod

=item DoSQL::Test::ServerNode->new_shard($name, %opts)

Creates (but does not start) a node running

  $bindir/dosql-shard --data <data_dir> --port <port> --host <host>
      --unix-socket-dir <socket_dir> @args @start_args

Options are those of C<new> (except C<command>) plus C<args> (an array
of arguments given at every start) and C<bindir> (default C<$bindir>).

=cut

sub new_shard
{
	my ($class, $name, %opts) = @_;

	my $program = ($opts{bindir} // $bindir) . '/dosql-shard';
	my @args = @{ delete $opts{args} // [] };
	delete $opts{bindir};

	return $class->new(
		$name, %opts,
		command => sub {
			my ($node, @extra) = @_;
			return (
				$program,
				'--data' => $node->data_dir,
				'--port' => $node->port,
				'--host' => $node->host,
				'--unix-socket-dir' => $node->socket_dir,
				@args, @extra);
		});
}

=pod

=back

=head1 NODE METHODS

=over

=item name, port, host, pid, basedir, data_dir, socket_dir, logfile

Accessors. C<pid> is undef when the process is not running. C<basedir> is
the node's own directory (data_dir, the log and any file a test wants to put
there, such as a config file).

=cut

sub name { return $_[0]->{name}; }
sub port { return $_[0]->{port}; }
sub host { return $_[0]->{host}; }
sub basedir { return $_[0]->{basedir}; }
sub data_dir { return $_[0]->{data_dir}; }
sub socket_dir { return $_[0]->{socket_dir}; }
sub logfile { return $_[0]->{logfile}; }

sub pid
{
	my ($self) = @_;
	$self->_reap(0);
	return $self->{pid};
}

=pod

=item is_running

True if the process was started and has not exited.

=item exit_status

The wait status (as in C<$?>) of the last process of this node that exited,
undef if none has.

=cut

sub is_running
{
	my ($self) = @_;
	return defined $self->pid;
}

sub exit_status
{
	my ($self) = @_;
	$self->_reap(0);
	return $self->{exit_status};
}

# Collects the exit status of the node's process if it has exited; with
# $block, waits for it. Returns true if the process is gone.
sub _reap
{
	my ($self, $block) = @_;

	my $pid = $self->{pid};
	return 1 unless defined $pid;
	my $r = waitpid($pid, $block ? 0 : WNOHANG);
	return 0 if $r == 0;
	$self->{exit_status} = $r == $pid ? $? : -1;
	$self->{pid} = undef;
	return 1;
}

=pod

=item dsn

The DBI data source of the node: DBD::Pg over TCP to its dbname.

=cut

sub dsn { my ($self) = @_; return "dbi:Pg:host=$self->{host};port=$self->{port};dbname=$self->{dbname}"; }

=pod

=item connstr(%params)

A libpq connection string for this node: C<host>, C<port>, C<user>,
C<dbname> (defaults: the node's host and port, C<dosql>, C<dosql>), the
node's C<password> if it has one, and any other keyword given (C<password>, C<sslmode>, C<application_name>, ...).
C<< host => $node->socket_dir >> connects through the unix socket.
A parameter given as undef is left out.

=cut

sub connstr
{
	my ($self, %params) = @_;

	my %p = (
		host => $self->{host},
		port => $self->{port},
		user => $self->{user},
		dbname => $self->{dbname},
		(defined $self->{password} ? (password => $self->{password}) : ()),
		%params);
	my @keys = ((grep { exists $p{$_} } qw(host port user dbname)),
		sort grep { !/^(host|port|user|dbname)$/ } keys %p);
	return join ' ',
	  map { "$_=" . _conninfo_quote($p{$_}) }
	  grep { defined $p{$_} } @keys;
}

sub _conninfo_quote
{
	my ($v) = @_;
	return $v if $v =~ /^[^\s'\\]+$/;
	$v =~ s/([\\'])/\\$1/g;
	return "'$v'";
}

=pod

=item start([\%opts,] @extra_args)

Starts the process in the background, stdout and stderr appended to
C<logfile>, stdin from /dev/null, and waits (polling every 50 ms, at most
C<DOSQL_TEST_TIMEOUT> seconds) until it accepts connections. Dies with the
tail of the log if the process exits first or does not get ready in time.
C<@extra_args> are remembered for C<restart>.

C<%opts>: C<fail_ok> (return 0 instead of dying, leaving the log to the
test), C<wait> (0: return as soon as the process is forked), C<timeout>.
Returns 1 when started.

=cut

sub start
{
	my $self = shift;
	my %opts = ref $_[0] eq 'HASH' ? %{ shift() } : ();
	my @extra = @_;

	croak "node \"$self->{name}\" is already running (pid $self->{pid})"
	  if $self->is_running;

	$self->{extra_args} = [@extra];
	my @argv = ref $self->{command} eq 'CODE'
	  ? $self->{command}->($self, @extra)
	  : (@{ $self->{command} }, @extra);

	DoSQL::Test::Utils::append_to_file($self->{logfile},
		sprintf("# %s: starting: %s\n", _timestamp(), join(' ', @argv)));

	my $pid = fork;
	croak "fork failed: $!" unless defined $pid;
	if ($pid == 0)
	{
		$self->_exec_child(@argv);
	}
	$self->{pid} = $pid;
	$self->{exit_status} = undef;
	Test::More::note("node \"$self->{name}\" started: pid $pid, port $self->{port}");

	return 1 if defined $opts{wait} && !$opts{wait};

	my $ready = poll_until(
		sub {
			return -1 unless $self->is_running;
			return $self->_is_ready ? 1 : 0;
		},
		$opts{timeout});
	return 1 if $ready == 1;

	my $why =
	  $ready == -1
	  ? "exited with status " . _status_str($self->{exit_status})
	  : "did not accept connections on port $self->{port} in time";
	$self->stop if $ready != -1;
	my $msg = "node \"$self->{name}\" $why; log $self->{logfile}:\n"
	  . $self->log_tail(30);
	return 0 if $opts{fail_ok};
	croak $msg;
}

# In the forked child: redirects output to the log and runs @argv. Never
# returns; exits 127 if the program cannot be run.
sub _exec_child
{
	my ($self, @argv) = @_;

	open STDIN, '<', '/dev/null' or POSIX::_exit(127);
	open STDOUT, '>>', $self->{logfile} or POSIX::_exit(127);
	open STDERR, '>&', \*STDOUT or POSIX::_exit(127);
	$| = 1;
	DoSQL::Test::Utils::_apply_env($self->{env});
	$SIG{$_} = 'DEFAULT' for qw(INT TERM HUP);
	{ no warnings 'exec'; exec { $argv[0] } @argv; }
	print STDERR "could not run $argv[0]: $!\n";
	POSIX::_exit(127);
}

sub _is_ready
{
	my ($self) = @_;
	my $how = $self->{ready};

	return $how->($self) if ref $how eq 'CODE';
	return 1 if $how eq 'none';
	if ($how eq 'tcp')
	{
		my $sock = IO::Socket::INET->new(
			PeerAddr => $self->{host},
			PeerPort => $self->{port},
			Proto => 'tcp',
			Timeout => 1);
		return 0 unless $sock;
		close $sock;
		return 1;
	}
	croak "unknown ready check \"$how\"" unless $how eq 'pg_isready';
	my $rc = run_command(
		[
			pg_program('pg_isready'), '-q', '-t', '5',
			'-h', $self->{host}, '-p', $self->{port},
			'-U', $self->{user}, '-d', $self->{dbname}
		],
		timeout => 10);
	return $rc == 0;
}

sub _timestamp
{
	my $t = time;
	my @lt = localtime($t);
	return sprintf('%04d-%02d-%02d %02d:%02d:%02d.%03d',
		$lt[5] + 1900, $lt[4] + 1, @lt[ 3, 2, 1, 0 ],
		int(($t - int($t)) * 1000));
}

sub _status_str
{
	my ($status) = @_;
	return 'unknown' unless defined $status && $status >= 0;
	return 'signal ' . ($status & 127) . ($status & 128 ? ' (core dumped)' : '')
	  if $status & 127;
	return $status >> 8;
}

=pod

=item stop(%opts)

Sends SIGTERM and waits up to 10 s (C<timeout>) for the process to exit, then
sends SIGKILL. Returns the wait status of the node's last process (as in
C<$?>; undef if it was never started). A process that already exited is
just reaped.

=item kill9

Sends SIGKILL and waits for the process. Returns its wait status like
C<stop>.

=item restart([\%opts,] @extra_args)

C<stop> then C<start>, with the previous start's arguments unless new ones
are given.

=cut

sub stop
{
	my ($self, %opts) = @_;

	return $self->{exit_status} if $self->_reap(0);

	kill 'TERM', $self->{pid};
	my $timeout = $opts{timeout} // $stop_timeout;
	unless (poll_until(sub { $self->_reap(0) }, $timeout))
	{
		Test::More::diag("node \"$self->{name}\" ignored SIGTERM for "
			  . "$timeout s; sending SIGKILL");
		kill 'KILL', $self->{pid};
		$self->_reap(1);
	}
	Test::More::note("node \"$self->{name}\" stopped: "
		  . _status_str($self->{exit_status}));
	return $self->{exit_status};
}

=pod

=item $node->setenv($name, $value)

Sets (or with C<undef> removes) an environment variable for the node's next
start, e.g. C<DOSQL_FAULT> to make the test build crash at a chosen point.

=cut

sub setenv
{
	my ($self, $name, $value) = @_;
	if (defined $value) { $self->{env}{$name} = $value; }
	else { delete $self->{env}{$name}; }
	return;
}

=pod

=item $node->wait_exit

Waits until the process has exited on its own (a fault injected with
C<DOSQL_FAULT>); returns true when it did within the timeout.

=cut

sub wait_exit
{
	my ($self) = @_;
	return poll_until(sub { return $self->is_running ? 0 : 1; }) == 1;
}

sub kill9
{
	my ($self) = @_;

	return $self->{exit_status} if $self->_reap(0);
	kill 'KILL', $self->{pid};
	$self->_reap(1);
	Test::More::note("node \"$self->{name}\" killed with SIGKILL");
	return $self->{exit_status};
}

sub restart
{
	my $self = shift;
	my %opts = ref $_[0] eq 'HASH' ? %{ shift() } : ();
	my @extra = @_ ? @_ : @{ $self->{extra_args} };

	$self->stop;
	return $self->start(\%opts, @extra);
}

=pod

=item log_content([$offset])

The node's log, from byte C<$offset> if given.

=item log_position

The log's current size; pass it to C<log_content> or C<wait_for_log> to look
only at what is logged afterwards.

=item log_tail([$lines])

The last C<$lines> (default 30) lines of the log.

=item wait_for_log($regex [, $offset [, $timeout]])

Polls the log (from C<$offset>) until C<$regex> matches. Returns the
log position after the match, or 0 on timeout.

=cut

sub log_content
{
	my ($self, $offset) = @_;
	return '' unless -e $self->{logfile};
	return slurp_file($self->{logfile}, $offset);
}

sub log_position
{
	my ($self) = @_;
	return -s $self->{logfile} // 0;
}

sub log_tail
{
	my ($self, $n) = @_;
	$n //= 30;
	my @lines = split /\n/, $self->log_content;
	@lines = @lines[ -$n .. -1 ] if @lines > $n;
	return join("\n", @lines) . "\n";
}

sub wait_for_log
{
	my ($self, $regex, $offset, $timeout) = @_;
	$offset //= 0;
	return poll_until(
		sub {
			my $log = $self->log_content($offset);
			return $log =~ $regex ? $offset + $+[0] : 0;
		},
		$timeout);
}

=pod

=item psql($sql, %opts)

Runs the real C<psql> against the node and returns C<($rc, $stdout,
$stderr)> in list context (both outputs chomped), C<$rc> in scalar context.
C<$rc> is psql's exit code: 0 success, 1 psql error, 2 connection failed,
3 a statement failed. Dies if psql is killed by a signal.

By default psql runs as C<psql -X -A -t -q -v ON_ERROR_STOP=1 -d CONNSTR>
and C<$sql> is fed on its standard input, so it may hold several statements
(and C<COPY ... FROM STDIN> data), each sent as its own Query message.

Options:

=over

=item flags => [...]

Replaces C<-X -A -t -q -v ON_ERROR_STOP=1>.

=item extra_params => [...]

Appended after the flags.

=item connstr => STRING | { %params }

The connection string, or parameters for C<< $node->connstr >>.

=item stdin => STRING

Fed to psql's standard input; C<$sql> (if defined) is then given with
C<-c>, i.e. sent as one Query message even if it holds several statements.

=item env => { ... }

Extra environment for psql (e.g. C<PGPASSWORD>).

=item timeout => SECONDS, timed_out => \$flag

A timeout (default C<DOSQL_TEST_TIMEOUT>) kills psql; with C<timed_out> it
sets the flag instead of dying.

=item on_error_die => 1

Die (with stderr) unless psql exits 0.

=back

=cut

sub psql
{
	my ($self, $sql, %opts) = @_;

	my $connstr =
	  ref $opts{connstr} eq 'HASH' ? $self->connstr(%{ $opts{connstr} })
	  : defined $opts{connstr} ? $opts{connstr}
	  : $self->connstr;
	my @flags = @{ $opts{flags} // [ '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1' ] };
	my @argv = (pg_program('psql'), @flags, @{ $opts{extra_params} // [] },
		'-d', $connstr);

	my $stdin;
	if (defined $opts{stdin})
	{
		push @argv, '-c', $sql if defined $sql;
		$stdin = $opts{stdin};
	}
	else
	{
		$stdin = $sql // '';
	}

	my ($rc, $out, $err) = run_command(\@argv,
		stdin => $stdin,
		env => $opts{env},
		timeout => $opts{timeout},
		timed_out => $opts{timed_out});
	chomp $out;
	chomp $err;

	my $timed_out = $opts{timed_out} && ${ $opts{timed_out} };
	croak "psql was killed by signal " . ($rc - 128) . ": $err\n"
	  . "while running: @argv"
	  if $rc > 128 && !$timed_out;
	if ($rc != 0 && $opts{on_error_die})
	{
		my %what = (1 => 'psql error', 2 => 'connection error',
			3 => 'error running SQL');
		croak(($what{$rc} // "psql exited with $rc")
			  . ": $err\nwhile running: @argv"
			  . (defined $sql ? "\nwith SQL: $sql" : ''));
	}
	return wantarray ? ($rc, $out, $err) : $rc;
}

=pod

=item safe_psql($sql, %opts)

Like C<psql> with C<on_error_die>; returns stdout. Dies if psql fails; the
message carries psql's stderr.

=cut

sub safe_psql
{
	my ($self, $sql, %opts) = @_;
	my ($rc, $out, $err) = $self->psql($sql, %opts, on_error_die => 1);
	return $out;
}

=pod

=item poll_query_until($sql [, $expected [, %opts]])

Runs C<$sql> every 50 ms until psql succeeds with no stderr and its output
equals C<$expected> (default C<t>). C<%opts> are passed to C<psql>, plus
C<timeout> (total seconds, default C<DOSQL_TEST_TIMEOUT>). Returns 1 on
success; on timeout prints the last output and returns 0.

=cut

sub poll_query_until
{
	my ($self, $sql, $expected, %opts) = @_;
	$expected //= 't';
	my $timeout = delete $opts{timeout};

	my ($rc, $out, $err);
	my $ok = poll_until(
		sub {
			($rc, $out, $err) = $self->psql($sql, %opts);
			return $rc == 0 && $out eq $expected && $err eq '';
		},
		$timeout);
	return 1 if $ok;

	Test::More::diag(
		"poll_query_until timed out on node \"$self->{name}\" running:\n"
		  . "$sql\nexpecting:\n$expected\nlast output (rc $rc):\n$out\n"
		  . "stderr:\n$err");
	return 0;
}

=pod

=item sqlite_query($sql)

Runs C<$sql> with the C<sqlite3> program on a shard's database
(F<shard.db> in C<data_dir>), waiting for its locks as long as any wait may
take (the running shard may hold them), and returns the output, chomped.
Dies if C<sqlite3> fails.

=cut

sub sqlite_query
{
	my ($self, $sql) = @_;
	my ($rc, $out, $err) = run_command(
		[ 'sqlite3', '-cmd', '.timeout ' . int($DoSQL::Test::Utils::timeout_default * 1000),
			File::Spec->catfile($self->{data_dir}, 'shard.db'), $sql ]);
	croak "sqlite3 on node \"$self->{name}\": $sql: $err" if $rc != 0;
	chomp $out;
	return $out;
}

=pod

=item sanitizer_report

The lines of the log that start a report from AddressSanitizer,
LeakSanitizer or UndefinedBehaviorSanitizer, with what follows them (empty
if none).

=cut

sub sanitizer_report
{
	my ($self) = @_;
	my $log = $self->log_content;
	my @hits;
	# Lines starting with "# <date>" are the harness's own "starting:" notes.
	while ($log =~
		/^((?!# \d{4}-)[^\n]*(?:ERROR: (?:Address|Leak|Memory|Thread)Sanitizer|runtime error:)[^\n]*(?:\n[^\n]*){0,20})/mg
	  )
	{
		push @hits, $1;
	}
	return join("\n---\n", @hits);
}

=pod

=back

=cut

# True if every test of the file passed and the plan was met (or the whole
# file was skipped).
sub _all_tests_passing
{
	my $tb = Test::More->builder;
	return 0 unless $tb->is_passing;
	my $plan = eval { $tb->{Stack}->top->plan } // $tb->has_plan;
	return 0 unless defined $plan;
	return 1 if $plan =~ /^(SKIP|NO PLAN|no_plan)$/;
	return $plan =~ /^\d+$/ && $plan == $tb->current_test ? 1 : 0;
}

END
{
	my $exit_code = $?;

	if ($$ == $owner_pid && @all_nodes)
	{
		# Stop everything in parallel: TERM to all, then wait, then KILL.
		my @running = grep { $_->{pid} && !$_->_reap(0) } @all_nodes;
		kill 'TERM', $_->{pid} for @running;
		poll_until(sub { !grep { !$_->_reap(0) } @running }, $stop_timeout);
		for my $node (grep { $_->{pid} } @running)
		{
			Test::More::diag("node \"$node->{name}\" ignored SIGTERM; sending SIGKILL");
			kill 'KILL', $node->{pid};
			$node->_reap(1);
		}

		for my $node (@all_nodes)
		{
			my $report = $node->sanitizer_report;
			next unless $report ne '';
			Test::More::diag("sanitizer report in the log of node "
				  . "\"$node->{name}\" ($node->{logfile}):\n$report");
			$exit_code ||= 1;
		}

		if ($exit_code == 0 && _all_tests_passing() && !$ENV{DOSQL_TEST_NOCLEAN})
		{
			remove_tree($test_dir) if defined $test_dir;
			remove_tree($short_socket_root) if defined $short_socket_root;
		}
		else
		{
			Test::More::diag("test files kept in $test_dir");
			Test::More::diag("log of node \"$_->{name}\": $_->{logfile}")
			  for @all_nodes;
		}
		DoSQL::Test::Utils::release_ports(map { $_->{port} } @all_nodes);
	}

	$? = $exit_code;
}

1;
