package DoSQL::Test::Oracle;

=pod

=head1 NAME

DoSQL::Test::Oracle - a real PostgreSQL 15 started by a test, to compare
DoSQL's answers with

=head1 SYNOPSIS

  use DoSQL::Test::Deps qw(require_dependency);
  use DoSQL::Test::Oracle;
  require_dependency(DoSQL::Test::Oracle::unavailable());
  my $oracle = DoSQL::Test::Oracle->start;
  is($oracle->safe_psql('select 1'), '1');
  my $dbh = DBI->connect($oracle->dsn, 'postgres', '', {...});
  run_command([ $client, $oracle->connstr ]);
  ...
  $oracle->stop;          # also done at exit

The server runs as user C<postgres> (through C<runuser> when the test runs as
root), listens only on a unix socket in its own temporary directory, and is
stopped and removed when the test process exits.  C<DOSQL_ORACLE_BINDIR>
names the server's program directory (default
F</usr/lib/postgresql/15/bin>).

An oracle is a L<DoSQL::Test::ServerNode> as far as clients go: C<connstr>
(user and database C<postgres>, through the unix socket), C<psql>,
C<safe_psql>, C<poll_query_until>, C<log_content> and C<log_tail> work as
they do on a node; C<start> and C<stop> are its own.

=cut

use strict;
use warnings;
use File::Path ();
use File::Temp ();
use Test::More ();
use DoSQL::Test::ServerNode;
use DoSQL::Test::Utils qw(run_command);

our @ISA = ('DoSQL::Test::ServerNode');

my $pg_bin = $ENV{DOSQL_ORACLE_BINDIR} // '/usr/lib/postgresql/15/bin';
my @running;

=pod

=over

=item unavailable()

Why no oracle can be started here (for C<require_dependency>), or undef.

=cut

sub unavailable
{
	return "PostgreSQL 15 server not found in $pg_bin"
	  unless -x "$pg_bin/postgres" && -x "$pg_bin/initdb" && -x "$pg_bin/pg_ctl";
	return 'user postgres does not exist' unless defined getpwnam('postgres');
	return 'the oracle needs root (to run it as user postgres) or user postgres'
	  unless $> == 0 || $> == (getpwnam('postgres'))[2];
	return undef;
}

sub _as_postgres
{
	my @cmd = @_;
	my $uid = (getpwnam('postgres'))[2];
	return $> == $uid ? @cmd : ('runuser', '-u', 'postgres', '--', @cmd);
}

=pod

=item DoSQL::Test::Oracle->start(%opts)

initdb (C locale, UTF8, trust) and start; BAIL_OUT if either fails.
C<settings> adds C<-c> settings (a string of them); C<tcp> (true) makes it
listen on 127.0.0.1 too, for clients that connect over TCP only.

=cut

sub start
{
	my ($class, %opts) = @_;
	my ($uid, $gid) = (getpwnam('postgres'))[ 2, 3 ];
	my $dir = File::Temp::tempdir('dosql_oracle_XXXXXX', TMPDIR => 1, CLEANUP => 0);
	my $self = bless {
		name => 'oracle',
		dir => $dir,
		host => $dir,
		port => DoSQL::Test::ServerNode::reserve_port(),
		user => 'postgres',
		dbname => 'postgres',
		logfile => "$dir/postgres.log",
	}, $class;
	chown $uid, $gid, $self->{dir} or die "chown $self->{dir}: $!";
	chmod 0700, $self->{dir};
	push @running, $self;

	my ($rc, $out, $err) = run_command(
		[
			_as_postgres("$pg_bin/initdb", '-D', "$self->{dir}/data", '-U', 'postgres',
				'-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync')
		],
		timeout => 120);
	Test::More::BAIL_OUT("initdb failed: $out\n$err") if $rc != 0;

	($rc, $out, $err) = run_command(
		[
			_as_postgres("$pg_bin/pg_ctl", '-D', "$self->{dir}/data", '-l',
				"$self->{dir}/postgres.log", '-w', '-t', '60', '-o',
				"-p $self->{port} -c listen_addresses=" . ($opts{tcp} ? '127.0.0.1' : "''")
				  . " -c unix_socket_directories=$self->{dir}"
				  . " -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
				  . ($opts{settings} // ''),
				'start')
		],
		timeout => 90);
	$self->{started} = 1;
	if ($rc != 0)
	{
		my $log = -r "$self->{dir}/postgres.log" ? `tail -20 $self->{dir}/postgres.log` : '';
		Test::More::BAIL_OUT("PostgreSQL did not start: $out\n$err\n$log");
	}
	return $self;
}

=pod

=item dsn, dir, port, socket_path

The DBI data source (database C<postgres>, user C<postgres>), the socket
directory, the port and the path of the unix socket.

=cut

sub dsn { my ($self) = @_; return "dbi:Pg:host=$self->{dir};port=$self->{port};dbname=postgres"; }
sub dir { return $_[0]->{dir}; }
sub socket_path { my ($self) = @_; return "$self->{dir}/.s.PGSQL.$self->{port}"; }

=pod

=item psql_both($node, $sql)

psql's output for C<$sql> on C<$node> and on this PostgreSQL, each as its
stdout, a newline and its stderr, with ON_ERROR_STOP off (every statement
of a script runs): C<($node_text, $postgres_text)>.

=cut

sub psql_both
{
	my ($self, $node, $sql) = @_;
	my @flags = ('-X', '-q', '-A', '-v', 'ON_ERROR_STOP=0');
	my (undef, $nout, $nerr) = $node->psql($sql, flags => \@flags);
	my (undef, $pout, $perr) = $self->psql($sql, flags => \@flags);
	return ("$nout\n$nerr", "$pout\n$perr");
}

=pod

=item stop

Stops the server (immediate mode) and removes its directory.

=back

=cut

sub stop
{
	my ($self) = @_;
	if ($self->{started})
	{
		$self->{started} = 0;
		run_command([ _as_postgres("$pg_bin/pg_ctl", '-D', "$self->{dir}/data", '-m', 'immediate', '-w', 'stop') ],
			timeout => 30);
	}
	File::Path::remove_tree($self->{dir}) if -d $self->{dir};
}

END
{
	my $rc = $?;
	$_->stop for @running;
	$? = $rc;
}

1;
