package DoSQL::Test::Tpch;

=pod

=head1 NAME

DoSQL::Test::Tpch - the TPC-H schema, data and queries of bench/tpch, and
answers compared as the benchmark and t/138 compare them

=head1 SYNOPSIS

  use DoSQL::Test::Tpch qw(tpch_tables tpch_load tpch_queries tpch_answer tpch_same tpch_received);
  my $cluster = DoSQL::Test::Cluster->new('h', shards => 4, tables => tpch_tables());
  tpch_load($dbh, $dir);                  # schema.sql, then COPY of every table
  for my $q (tpch_queries()) { my $a = tpch_answer($dbh, $q->{sql}); ... }

An answer is { rows => [ "v|v|...", ... ], ordered => 0|1 } or { err =>
'SQLSTATE message' }; numbers are compared by value (1.50 is 1.5), rows in
order when the query has a top-level ORDER BY (as a multiset otherwise).

=cut

use strict;
use warnings;
use Exporter 'import';
use File::Basename qw(dirname);
use File::Spec;
use DoSQL::Test::Answer ();

our @EXPORT_OK = qw(tpch_dir tpch_tables tpch_generate tpch_load tpch_queries tpch_answer tpch_same tpch_received);

my @TABLES = qw(region nation supplier part partsupp customer orders lineitem);

sub tpch_dir
{
	return File::Spec->rel2abs(File::Spec->catdir(dirname(__FILE__), '..', '..', '..', '..', 'bench', 'tpch'));
}

# The VSchema's tables object.
sub tpch_tables
{
	my %key = (lineitem => 'l_orderkey', orders => 'o_orderkey', customer => 'c_custkey',
		part => 'p_partkey', partsupp => 'ps_partkey', supplier => 's_suppkey');
	return {
		(map { $_ => { column_vindexes => [ { column => $key{$_}, name => 'hash' } ] } } keys %key),
		nation => { type => 'reference' },
		region => { type => 'reference' },
	};
}

# Writes the data files of scale $scale into $dir.
sub tpch_generate
{
	my ($scale, $dir) = @_;
	my $gen = File::Spec->catfile(tpch_dir(), 'dbgen.pl');
	system($^X, $gen, '--scale', $scale, '--dir', $dir) == 0 or die "$gen failed\n";
	return 1;
}

sub _slurp { my ($f) = @_; open(my $fh, '<', $f) or die "$f: $!\n"; local $/; my $s = <$fh>; close $fh; return $s; }

# Creates the tables through $dbh and copies the files of $dir into them.
sub tpch_load
{
	my ($dbh, $dir) = @_;
	for my $stmt (split /;\n/, _slurp(File::Spec->catfile(tpch_dir(), 'schema.sql')))
	{
		next unless $stmt =~ /\S/;
		$dbh->do($stmt) or die 'schema: ' . $dbh->errstr . "\n";
	}
	for my $t (@TABLES)
	{
		$dbh->do("copy $t from stdin") or die "copy $t: " . $dbh->errstr . "\n";
		open(my $fh, '<', "$dir/$t.tbl") or die "$dir/$t.tbl: $!\n";
		my $buf = '';
		while (my $line = <$fh>)
		{
			$buf .= $line;
			next if length($buf) < 65536;
			$dbh->pg_putcopydata($buf) or die "copy $t: " . $dbh->errstr . "\n";
			$buf = '';
		}
		close $fh;
		$dbh->pg_putcopydata($buf) if length $buf;
		$dbh->pg_putcopyend or die "copy $t: " . $dbh->errstr . "\n";
	}
	return 1;
}

# The queries: [ { name => 'q01', sql => ... }, ... ]
sub tpch_queries
{
	my $qdir = File::Spec->catdir(tpch_dir(), 'queries');
	opendir(my $dh, $qdir) or die "$qdir: $!\n";
	my @files = sort grep { /^q\d\d\.sql$/ } readdir $dh;
	closedir $dh;
	return map {
		my $sql = _slurp("$qdir/$_");
		$sql =~ s/\s+$//;
		(my $name = $_) =~ s/\.sql$//;
		{ name => $name, sql => $sql }
	} @files;
}

sub _value
{
	my ($v) = @_;
	return 'NULL' unless defined $v;
	return $v unless $v =~ /^-?\d+\.\d+$/;
	$v =~ s/0+$//;
	$v =~ s/\.$//;
	return $v eq '-0' ? '0' : $v;
}

sub tpch_answer
{
	my ($dbh, $sql) = @_;
	my $rows = $dbh->selectall_arrayref($sql);
	return { err => ($dbh->state // '') . ' ' . ($dbh->errstr // '') } unless $rows;
	my @lines = map { join('|', map { _value($_) } @$_) } @$rows;
	my $ordered = DoSQL::Test::Answer::ordered($sql);
	@lines = sort @lines unless $ordered;
	return { rows => \@lines, ordered => $ordered };
}

# '' when the two answers are the same, else what differs first.
sub tpch_same
{
	my ($got, $want) = @_;
	return "error: $got->{err}" if $got->{err};
	return "the reference failed: $want->{err}" if $want->{err};
	my ($g, $w) = ($got->{rows}, $want->{rows});
	return sprintf('%d rows, want %d', scalar @$g, scalar @$w) if @$g != @$w;
	for my $i (0 .. $#$w)
	{
		return "row $i: $g->[$i], want $w->[$i]" if $g->[$i] ne $w->[$i];
	}
	return '';
}

# The rows the router has received from its shards since it started.
sub tpch_received
{
	my ($dbh) = @_;
	my $n = 0;
	$n += $_->[4] for @{ $dbh->selectall_arrayref('show stats') // [] };
	return $n;
}

1;
