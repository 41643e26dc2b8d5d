package DoSQL::Test::Checks;

=pod

=head1 NAME

DoSQL::Test::Checks - a client script's named checks, run against
PostgreSQL 15 and against DoSQL and compared one by one

=head1 SYNOPSIS

  use DoSQL::Test::Checks qw(run_checks compare_checks);
  my ($expected, $order) = run_checks('PostgreSQL 15', [ 'node', $script, @pg_conn ], %run_opts);
  my ($got) = run_checks('the router', [ 'node', $script, @router_conn ], %run_opts);
  compare_checks($expected, $order, $got);

The script prints one JSON object per check, C<{"name": ..., "value": ...}>
or C<{"name": ..., "error": ...}>.  C<run_checks> asserts that the script
ran to completion and returns the checks' results by name (canonical JSON
text) and their names in order; C<%run_opts> go to C<run_command> (C<env>,
C<timeout>).  C<compare_checks> asserts, per check of the first run, that
the second gave the same.

=cut

use strict;
use warnings;
use Exporter 'import';
use JSON::PP;
use Test::More;
use DoSQL::Test::Utils qw(run_command);

our @EXPORT_OK = qw(run_checks compare_checks);

sub run_checks
{
	my ($what, $argv, %opts) = @_;
	my ($rc, $out, $err) = run_command($argv, timeout => 180, %opts);
	is($rc, 0, "the script ran to completion against $what") or diag($err);
	my (%r, @order);
	my $json = JSON::PP->new->canonical;
	for my $line (split /\n/, $out)
	{
		my $j = eval { JSON::PP->new->decode($line) } or do { diag("unexpected output: $line"); next };
		push @order, $j->{name};
		$r{ $j->{name} } = $json->encode(exists $j->{error} ? { error => $j->{error} } : { value => $j->{value} });
	}
	return (\%r, \@order);
}

sub compare_checks
{
	my ($expected, $order, $got) = @_;
	is($got->{$_} // 'missing', $expected->{$_}, $_) for @$order;
	return;
}

1;
