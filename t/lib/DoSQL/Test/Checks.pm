package DoSQL::Test::Checks;

=pod

=head1 NAME

DoSQL::Test::Checks - a client script's named checks, run against
PostgreSQL 15 and against DoSQL and compared one by one

=head1 SYNOPSIS

  use DoSQL::Test::Checks qw(run_checks compare_checks);
  my ($expected, $order) = run_checks('PostgreSQL 15', [ 'node', $script, @pg_conn ], %run_opts);
  my ($got) = run_checks('the router', [ 'node', $script, @router_conn ], %run_opts);
  compare_checks($expected, $order, $got, differs => { 'a check' => '{"error":"0A000"}' });
  check_shards($cluster, 'items');

The script prints one JSON object per check, C<{"name": ..., "value": ...}>
or C<{"name": ..., "error": ...}>.  C<run_checks> asserts that the script
ran to completion and returns the checks' results by name (canonical JSON
text) and their names in order; C<%run_opts> go to C<run_command> (C<env>,
C<timeout>).  C<compare_checks> asserts, per check of the first run, that
the second gave the same; for a check named in C<differs>, that the second
gave the JSON given there (what DoSQL answers instead, for a known
difference) and that it is not what the first gave (so that a difference
that goes away is noticed and its entry removed).  C<check_shards> asserts,
after checks through the router, that the rows of a table (or of C<FROM>
text with a C<WHERE>) are on every shard and that no shard is left with a
prepared transaction.

=cut

use strict;
use warnings;
use Exporter 'import';
use JSON::PP;
use Test::More;
use DoSQL::Test::Utils qw(run_command);

our @EXPORT_OK = qw(run_checks compare_checks check_shards);

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
	my ($expected, $order, $got, %opts) = @_;
	my $differs = $opts{differs} // {};
	my $json = JSON::PP->new->canonical;
	for my $name (@$order)
	{
		if (!exists $differs->{$name})
		{
			is($got->{$name} // 'missing', $expected->{$name}, $name);
			next;
		}
		my $want = $json->encode(JSON::PP->new->decode($differs->{$name}));
		is($got->{$name} // 'missing', $want, "$name (DoSQL's known answer)");
		isnt($want, $expected->{$name}, "$name: PostgreSQL answers otherwise");
	}
	my @unknown = grep { !exists $expected->{$_} } sort keys %$differs;
	is("@unknown", '', 'every known difference names a check');
	return;
}

sub check_shards
{
	my ($c, $from) = @_;
	my @per = map { $_->safe_psql("select count(*) from $from") } $c->shards;
	is(scalar(grep { $_ > 0 } @per), scalar(@per), "rows of $from on every shard (@per)");
	is(join(',', map { $_->safe_psql('select count(*) from pg_prepared_xacts') } $c->shards),
		join(',', map { 0 } $c->shards), 'no prepared transaction is left');
	return;
}

1;
