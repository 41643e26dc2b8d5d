package DoSQL::Test::Npm;

=pod

=head1 NAME

DoSQL::Test::Npm - the npm packages JavaScript client tests use

=head1 SYNOPSIS

  use DoSQL::Test::Npm;
  require_dependency(DoSQL::Test::Npm::unavailable());
  my $node_path = DoSQL::Test::Npm::modules();   # for NODE_PATH
  run_command([ 'node', "$repo/t/js/clients.js", ... ], env => { NODE_PATH => $node_path });

C<t/js/package.json> and C<t/js/package-lock.json> pin the packages.
C<modules> installs them with C<npm ci> into F<build/js> of the checkout
the first time (and again when the lock file changes), under a lock so
that tests running at once install once, and returns the directory of
the modules.

=cut

use strict;
use warnings;
use Carp;
use Fcntl qw(:flock);
use File::Copy ();
use File::Compare ();
use File::Path ();
use DoSQL::Test::ServerNode;
use DoSQL::Test::Utils qw(run_command);

=pod

=over

=item unavailable()

Why JavaScript tests cannot run here (node or npm missing; for
C<require_dependency>), or undef.

=cut

sub unavailable
{
	for my $prog ('node', 'npm')
	{
		my $rc = eval { run_command([ $prog, '--version' ]) };
		return "$prog is not installed" if !defined $rc || $rc != 0;
	}
	return undef;
}

=pod

=item modules([$set])

The F<node_modules> directory holding the pinned packages of
F<t/$set> (default C<js>), installed into F<build/$set>; dies when
C<npm ci> fails.

=cut

sub modules
{
	my ($set) = @_;
	$set //= 'js';
	my $repo = $DoSQL::Test::ServerNode::repo_dir;
	my $dir = "$repo/build/$set";
	File::Path::make_path($dir);
	open my $lock, '>', "$dir/.lock" or croak "$dir/.lock: $!";
	flock $lock, LOCK_EX or croak "flock $dir/.lock: $!";
	my $lockfile = "$repo/t/$set/package-lock.json";
	if (!-d "$dir/node_modules" || !-e "$dir/package-lock.json"
		|| File::Compare::compare($lockfile, "$dir/package-lock.json") != 0)
	{
		File::Copy::copy("$repo/t/$set/package.json", "$dir/package.json") or croak "copy package.json: $!";
		File::Copy::copy($lockfile, "$dir/package-lock.json") or croak "copy package-lock.json: $!";
		my ($rc, $out, $err) = run_command([ 'npm', 'ci', '--no-audit', '--no-fund', '--prefix', $dir ],
			timeout => 300);
		croak "npm ci failed ($rc):\n$out\n$err" if $rc != 0;
	}
	close $lock;
	return "$dir/node_modules";
}

=pod

=back

=cut

1;
