package DoSQL::Test::Oracle;

=pod

=head1 NAME

DoSQL::Test::Oracle - a real PostgreSQL 15 started by a test, to compare
DoSQL's answers with

=head1 SYNOPSIS

  use DoSQL::Test::Oracle;
  my $reason = DoSQL::Test::Oracle::unavailable();
  plan skip_all => $reason if $reason;
  my $oracle = DoSQL::Test::Oracle->start;
  my $dbh = DBI->connect($oracle->dsn, 'postgres', '', {...});
  ...
  $oracle->stop;          # also done at exit

The server runs as user C<postgres> (through C<runuser> when the test runs as
root), listens only on a unix socket in its own temporary directory, and is
stopped and removed when the test process exits.  C<DOSQL_ORACLE_BINDIR>
names the server's program directory (default
F</usr/lib/postgresql/15/bin>).

=cut

use strict;
use warnings;
use File::Path ();
use File::Temp ();
use Test::More ();
use DoSQL::Test::Cluster;
use DoSQL::Test::Utils qw(run_command);

my $pg_bin = $ENV{DOSQL_ORACLE_BINDIR} // '/usr/lib/postgresql/15/bin';
my @running;

=pod

=over

=item unavailable()

Why no oracle can be started here (a message for C<skip_all>), or undef.

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
C<settings> adds C<-c> settings (a string of them).

=cut

sub start
{
	my ($class, %opts) = @_;
	my ($uid, $gid) = (getpwnam('postgres'))[ 2, 3 ];
	my $self = bless {
		dir => File::Temp::tempdir('dosql_oracle_XXXXXX', TMPDIR => 1, CLEANUP => 0),
		port => DoSQL::Test::Cluster::reserve_port(),
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
				"-p $self->{port} -c listen_addresses='' -c unix_socket_directories=$self->{dir}"
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

=item dsn, dir, port

The DBI data source (database C<postgres>, user C<postgres>), the socket
directory and the port.

=cut

sub dsn { my ($self) = @_; return "dbi:Pg:host=$self->{dir};port=$self->{port};dbname=postgres"; }
sub dir { return $_[0]->{dir}; }
sub port { return $_[0]->{port}; }

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
