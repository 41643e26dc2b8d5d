package DoSQL::Test::Answer;

=pod

=head1 NAME

DoSQL::Test::Answer - a query's answer through DBI, in a form two servers'
answers are compared in

=head1 SYNOPSIS

  use DoSQL::Test::Answer qw(answer);
  my $got = answer($dbh, 'select ... where a = ?', 5);
  # { rows => "1|x\n2|NULL", columns => 'a:int4, b:text' } or { err => 'SQLSTATE message' }

The rows are lines of C<|>-joined values (C<NULL> for SQL NULL), sorted
unless the statement's last ORDER BY is its own rather than a
subquery's (whose order then counts); the columns are their names with their types.

=cut

use strict;
use warnings;
use Exporter 'import';

our @EXPORT_OK = qw(answer);

# Whether the statement's last ORDER BY is its own, not a subquery's: no
# parenthesis it is inside closes after it.
sub ordered
{
	my ($sql) = @_;
	return 0 unless $sql =~ /.*\border by\b(.*)$/is;
	my $depth = 0;
	for my $c (split //, $1)
	{
		$depth++ if $c eq '(';
		return 0 if $c eq ')' && --$depth < 0;
	}
	return 1;
}

sub answer
{
	my ($dbh, $sql, @values) = @_;
	my $sth = $dbh->prepare($sql);
	if (!$sth || !$sth->execute(@values))
	{
		return { err => ($dbh->state // '') . ' ' . ($dbh->errstr // '') };
	}
	my $rows = $sth->fetchall_arrayref;
	my @lines = map { join('|', map { defined $_ ? $_ : 'NULL' } @$_) } @$rows;
	@lines = sort @lines unless ordered($sql);
	return {
		rows => join("\n", @lines),
		columns => join(', ', map { "$sth->{NAME}[$_]:$sth->{pg_type}[$_]" } 0 .. $#{ $sth->{NAME} }),
	};
}

1;
