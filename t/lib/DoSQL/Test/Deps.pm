package DoSQL::Test::Deps;

=pod

=head1 NAME

DoSQL::Test::Deps - what a test needs besides DoSQL, and what happens when
it is missing

=head1 SYNOPSIS

  use DoSQL::Test::Deps qw(require_dependency perl_module_missing
    python_module_missing program_missing file_missing);

  require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl'));
  require_dependency(python_module_missing('psycopg2', 'python3-psycopg2'),
    DoSQL::Test::Oracle::unavailable());

=head1 DESCRIPTION

Every dependency of a test file is installed by F<tools/deps.sh>.  A test
file calls C<require_dependency> before its first assertion with the
answers of the checks below (or of C<DoSQL::Test::Oracle::unavailable>,
C<DoSQL::Test::Npm::unavailable>): each is undef when the dependency is
there, or says what is missing.  Normally the first missing one skips the
whole file (C<skip_all>); with C<DOSQL_TEST_STRICT=1> in the environment
(as C<.ci/run> sets it) the file fails instead, so that a run with a
dependency missing cannot pass.

=cut

use strict;
use warnings;
use Exporter 'import';
use Test::More ();
use DoSQL::Test::Utils qw(run_command);

our @EXPORT_OK = qw(require_dependency perl_module_missing python_module_missing
  program_missing file_missing);

# Debian's python, the one that sees the python3-* packages.
our $python = '/usr/bin/python3';

=pod

=head1 FUNCTIONS

=over

=item require_dependency(@reasons)

Returns when every reason is undef.  Otherwise, for the first defined one:
skips the test file, or under C<DOSQL_TEST_STRICT=1> fails it with one
failed assertion naming what is missing; either way the process exits.

=cut

sub require_dependency
{
	my ($why) = grep { defined } @_;
	return unless defined $why;
	if ($ENV{DOSQL_TEST_STRICT})
	{
		Test::More::plan(tests => 1);
		Test::More::fail("a dependency is missing (DOSQL_TEST_STRICT=1): $why");
		Test::More::diag('tools/deps.sh installs what the tests need');
		exit 1;
	}
	Test::More::plan(skip_all => $why);
}

=pod

=item perl_module_missing($module, $debian_package)

Undef if C<$module> loads, else why not.

=item python_module_missing($module, $debian_package)

Undef if C<$python -c "import $module"> succeeds (C<$module> may be a
comma-separated list), else why not.

=item program_missing(\@argv, $debian_package)

Undef if C<@argv> (e.g. C<['javac', '-version']>) runs and exits 0, else
why not.

=item file_missing($path, $debian_package)

Undef if C<$path> exists, else why not.

=back

=cut

sub perl_module_missing
{
	my ($module, $package) = @_;
	return undef if eval "require $module; 1";
	return "Perl module $module is not installed (Debian package $package)";
}

sub python_module_missing
{
	my ($module, $package) = @_;
	return "$python not found" unless -x $python;
	my $rc = eval { run_command([ $python, '-c', "import $module" ]) };
	return undef if defined $rc && $rc == 0;
	return "Python module $module is not installed (Debian package $package)";
}

sub program_missing
{
	my ($argv, $package) = @_;
	my $rc = eval { run_command($argv) };
	return undef if defined $rc && $rc == 0;
	return "$argv->[0] is not installed (Debian package $package)";
}

sub file_missing
{
	my ($path, $package) = @_;
	return undef if -e $path;
	return "$path not found" . (defined $package ? " (Debian package $package)" : '');
}

1;
