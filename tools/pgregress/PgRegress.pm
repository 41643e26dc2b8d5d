package PgRegress;

=pod

=head1 NAME

PgRegress - reads PostgreSQL's regression scripts statement by statement
as psql would, and runs each on two servers with a time limit

=head1 DESCRIPTION

C<read_script($file, $datadir)> splits a psql script into items: C<{ sql
=> TEXT }> for a statement, with C<copy => [LINES]> for C<COPY ... FROM
STDIN> (the lines up to C<\.>; psql takes C<FROM STDOUT> alike, or the data file a C<COPY ... FROM
:'filename'> names, the file being the last C<\set filename>), and C<{ meta
=> TEXT }> for a backslash command, which is not run.  A statement ends at
a C<;> outside quotes, dollar quotes, comments and parentheses, or at a
backslash command ending it (C<\gset>, C<\gexec>, ...), as in psql.

C<execute($dbh, $item, $timeout)> runs one item and returns C<{ state,
msg }> or C<{ rows => [LINES], count => N }>; C<ordered($sql)> says
whether the statement orders its rows (an ORDER BY outside parentheses).

=cut

use strict;
use warnings;
use Time::HiRes qw(time);
use DBD::Pg qw(:async);
use SqlFuzz::Runner ();

sub read_script
{
	my ($file, $datadir) = @_;
	open(my $fh, '<:encoding(UTF-8)', $file) or die "$file: $!";
	my @lines = <$fh>;
	close $fh;
	my (@items, $buf, $filename);
	$buf = '';
	my ($depth, $in_str, $in_ident, $dollar, $in_comment) = (0, 0, 0, undef, 0);
	my $i = 0;
	while ($i < @lines)
	{
		my $line = $lines[ $i++ ];
		# a backslash command where no statement is under way, or ending one
		if (!$in_str && !$in_ident && !defined $dollar && !$in_comment && $line =~ /^\s*\\/)
		{
			(my $meta = $line) =~ s/\s+$//;
			if ($meta =~ /^\\set\s+filename\s+:abs_srcdir\s+'\/data\/([^']+)'/)
			{
				$filename = "$datadir/$1";
			}
			if ($buf =~ /\S/)
			{
				push @items, { sql => _trim($buf), ended_by => $meta };
				$buf = '';
			}
			push @items, { meta => $meta };
			next;
		}
		my $len = length $line;
		my $start = 0;
		for (my $p = 0; $p < $len; $p++)
		{
			my $c = substr($line, $p, 1);
			if ($in_comment)
			{
				if ($c eq '*' && substr($line, $p + 1, 1) eq '/') { $in_comment--; $p++; }
				elsif ($c eq '/' && substr($line, $p + 1, 1) eq '*') { $in_comment++; $p++; }
				next;
			}
			if (defined $dollar)
			{
				if ($c eq '$' && substr($line, $p, length $dollar) eq $dollar)
				{
					$p += length($dollar) - 1;
					undef $dollar;
				}
				next;
			}
			if ($in_str)
			{
				if ($in_str == 2 && $c eq '\\') { $p++; next; }
				if ($c eq "'")
				{
					if (substr($line, $p + 1, 1) eq "'") { $p++; next; }
					$in_str = 0;
				}
				next;
			}
			if ($in_ident)
			{
				$in_ident = 0 if $c eq '"';
				next;
			}
			if ($c eq '-' && substr($line, $p + 1, 1) eq '-')
			{
				# the rest of the line is a comment: keep the statement text before it
				$buf .= substr($line, $start, $p - $start) . "\n";
				$start = $len;
				last;
			}
			if ($c eq '/' && substr($line, $p + 1, 1) eq '*') { $in_comment = 1; $p++; next; }
			if ($c eq "'")
			{
				my $prev = $p > 0 ? substr($line, $p - 1, 1) : '';
				my $prev2 = $p > 1 ? substr($line, $p - 2, 1) : ' ';
				$in_str = ($prev =~ /[eE]/ && $prev2 !~ /\w/) ? 2 : 1;
				next;
			}
			if ($c eq '"') { $in_ident = 1; next; }
			if ($c eq '$' && substr($line, $p) =~ /^(\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$)/ && ($p == 0 || substr($line, $p - 1, 1) !~ /\w/))
			{
				$dollar = $1;
				$p += length($1) - 1;
				next;
			}
			if ($c eq '(') { $depth++; next; }
			if ($c eq ')') { $depth-- if $depth > 0; next; }
			if ($c eq ';' && $depth == 0)
			{
				$buf .= substr($line, $start, $p - $start);
				$start = $p + 1;
				my $sql = _trim($buf);
				$buf = '';
				next if $sql eq '';
				my $item = { sql => $sql };
				if ($sql =~ /^COPY\b.*\bFROM\s+STD(IN|OUT)\b/is)
				{
					my @data;
					while ($i < @lines && $lines[$i] !~ /^\\\.\s*$/)
					{
						push @data, $lines[ $i++ ];
					}
					$i++;
					$item->{copy} = \@data;
				}
				elsif ($sql =~ /^(COPY\b.*\bFROM)\s+:'filename'(.*)$/is)
				{
					$item->{sql} = "$1 STDIN$2";
					open(my $d, '<:encoding(UTF-8)', $filename) or die "$filename: $!";
					$item->{copy} = [<$d>];
					close $d;
				}
				push @items, $item;
			}
		}
		$buf .= substr($line, $start) if $start < $len;
	}
	push @items, { sql => _trim($buf) } if _trim($buf) ne '';
	return @items;
}

sub _trim
{
	my ($s) = @_;
	$s =~ s/^\s+//;
	$s =~ s/\s+$//;
	return $s;
}

# True if $sql orders its result: ORDER BY outside parentheses and quotes.
sub ordered
{
	my ($sql) = @_;
	my $s = $sql;
	$s =~ s/'(?:[^']|'')*'//g;
	$s =~ s/"[^"]*"//g;
	1 while $s =~ s/\([^()]*\)/ /g;
	return $s =~ /\border\s+by\b/i ? 1 : 0;
}

# Runs item $item on $dbh (DBD::Pg), at most $timeout seconds (then the
# statement is cancelled): { rows => [...], count => N } or { state, msg }.
sub execute
{
	my ($dbh, $item, $timeout) = @_;
	if ($item->{copy})
	{
		$dbh->do($item->{sql}) or return _err($dbh);
		for my $l (@{ $item->{copy} })
		{
			$dbh->pg_putcopydata($l) or return _err($dbh);
		}
		$dbh->pg_putcopyend or return _err($dbh);
		return { rows => [], count => 0 };
	}
	if ($item->{sql} =~ /^COPY\b.*\bTO\s+STDOUT\b/is)
	{
		$dbh->do($item->{sql}) or return _err($dbh);
		my (@rows, $line);
		push @rows, $line while $dbh->pg_getcopydata($line) >= 0;
		return _err($dbh) if $dbh->err;
		return { rows => \@rows, count => scalar @rows };
	}
	my $sth = $dbh->prepare($item->{sql}, { pg_async => PG_ASYNC, pg_server_prepare => 0 }) or return _err($dbh);
	$sth->execute or return _err($dbh);
	my $until = time + $timeout;
	while (!$dbh->pg_ready)
	{
		if (time > $until)
		{
			$dbh->pg_cancel;
			$dbh->pg_result;
			return { state => 'TIMEOUT', msg => "no answer in $timeout s" };
		}
		Time::HiRes::sleep(0.002);
	}
	my $count = $dbh->pg_result;
	return _err($dbh) if !defined $count || $dbh->err;
	my @rows;
	if ($sth->{NUM_OF_FIELDS})
	{
		my $all = $sth->fetchall_arrayref // [];
		return _err($dbh) if $dbh->err;
		@rows = SqlFuzz::Runner::row_lines($sth, $all, '<NULL>');
	}
	return { rows => \@rows, count => $count };
}

sub _err
{
	my ($dbh) = @_;
	my $state = $dbh->state // '';
	$state = 'XXXXX' if $state eq '' || $state eq 'S1000';
	my $msg = $dbh->errstr // '';
	$msg =~ s/\n.*//s;
	return { state => $state, msg => $msg };
}

1;
