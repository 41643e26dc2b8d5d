package SqlFuzz::Runner;

=pod

=head1 NAME

SqlFuzz::Runner - runs generated statements on PostgreSQL 15 and on DoSQL
targets, compares the answers, applies the TLP and NoREC oracles,
minimizes each difference and checks a list of known differences

=head1 SYNOPSIS

  my $run = SqlFuzz::Runner->new(
      postgres => $pg_dbh,
      targets => { shard => $shard_dbh, router => $router_dbh },
      order_free => ['router'],
      known => SqlFuzz::Runner::read_known($file),
      report => $fh,
      alive => sub { my ($target) = @_; ... },    # false: a process is gone
      reconnect => sub { my ($target) = @_; ... return $new_dbh });
  $run->setup;
  $run->fuzz(seed => 1, seconds => 60, queries => 0);
  print $run->summary;

=head1 DESCRIPTION

An answer is the rows as text lines (sorted unless the statement orders
them) with the column types, or an error's SQLSTATE.  Against
PostgreSQL's answer a target's answer is I<same> (the same rows and types),
I<same error> (both fail with one SQLSTATE), I<refused> (the target says
0A000 or 42883 where PostgreSQL does not fail with that SQLSTATE), or a
difference: I<rows>, I<types>, I<sqlstate> (both fail, other SQLSTATEs),
I<error> (only the target fails), I<success> (only PostgreSQL fails),
I<crash> (the target lost its connection or a process; C<reconnect>
starts it again).  An C<order_free> target (the router: its shards meet
the rows in no fixed order) failing with another SQLSTATE than
PostgreSQL's is I<error_order>, and one keeping another of equal numerics
(0.0 for 0) where the statement keeps one of equals (DISTINCT, GROUP BY,
set operations) is I<equal_values>, neither a difference.  The TLP oracle checks on each
target that the counts of C<p>, C<NOT p> and C<p IS NULL> add up to the
table's count; NoREC that C<count(*) WHERE p> equals the sum of C<CASE WHEN
p THEN 1 ELSE 0 END> over the table.

A known difference is a line of the known-differences file:

  diff <TAB> ordered|unordered <TAB> statement
  tlp|norec <TAB> table <TAB> predicate
  setup <TAB> servers <TAB> INSERT statement

=cut

use strict;
use warnings;
use utf8;
use Time::HiRes qw(time);
use SqlFuzz::Grammar;
use DoSQL::Test::Utils ();

# Settings of every session, PostgreSQL's and DoSQL's.
our @session_settings = (q{SET TimeZone = 'UTC'}, q{SET DateStyle = 'ISO, MDY'}, q{SET extra_float_digits = 1});

sub new
{
	my ($class, %o) = @_;
	return bless {
		pg => $o{postgres},
		targets => $o{targets},
		known => $o{known} // {},
		report => $o{report},
		alive => $o{alive} // sub { 1 },
		reconnect => $o{reconnect},
		minimize_budget => $o{minimize_budget} // 120,
		order_free => { map { $_ => 1 } @{ $o{order_free} // [] } },
		stats => {},
		diffs => [],
		seen => {},
		setup_notes => [],
	}, $class;
}

# DBI attributes every connection of the tester uses: text values as the
# server sends them, no client-side placeholders (jsonb's ? operator).
our %dbi_attrs = (RaiseError => 0, PrintError => 0, AutoCommit => 1, pg_bool_tf => 1, pg_expand_array => 0,
	pg_placeholder_dollaronly => 1, pg_placeholder_nocolons => 1, pg_enable_utf8 => 1);

=pod

=head2 answer($dbh, $sql, $ordered)

The answer of one statement: C<{ state => SQLSTATE, msg => ... }> or C<{
rows => TEXT, types => TEXT }>.

=cut

sub answer
{
	my ($dbh, $sql, $ordered) = @_;
	my $sth = $dbh->prepare($sql);
	if (!$sth || !$sth->execute)
	{
		my $state = $dbh->state // '';
		$state = 'XXXXX' if $state eq '' || $state eq 'S1000';
		return { state => $state, msg => ($dbh->errstr // '') };
	}
	my $rows = $sth->{NUM_OF_FIELDS} ? $sth->fetchall_arrayref : [];
	if ($dbh->err)
	{
		return { state => ($dbh->state || 'XXXXX'), msg => $dbh->errstr // '' };
	}
	my @lines = row_lines($sth, $rows, 'NULL');
	@lines = sort @lines unless $ordered;
	my $types = $sth->{NUM_OF_FIELDS} ? join(',', map { $_ // '?' } @{ $sth->{pg_type} }) : '';
	return { rows => join("\n", @lines), types => $types };
}

# The rows $rows fetched from $sth as text lines, values separated by |,
# NULL written as $null.  DBD::Pg hands bytea over as the bytes: they are
# written as PostgreSQL prints them (hex).
sub row_lines
{
	my ($sth, $rows, $null) = @_;
	my %bytea = map { $_ => 1 } grep { ($sth->{pg_type}[$_] // '') eq 'bytea' } 0 .. $sth->{NUM_OF_FIELDS} - 1;
	my $text = sub {
		my ($v, $i) = @_;
		return $null unless defined $v;
		return $bytea{$i} ? '\\x' . unpack('H*', $v) : $v;
	};
	return map {
		my $row = $_;
		join('|', map { $text->($row->[$_], $_) } 0 .. $#$row)
	} @$rows;
}

# What a target's answer $got is against PostgreSQL's $want: 'same',
# 'same_error', 'refused' or the kind of difference (with the SQLSTATEs
# for errors: 'error:XX000', 'sqlstate:22012/22003', 'success:22003').
sub classify
{
	my ($want, $got) = @_;
	if (defined $got->{state})
	{
		return 'same_error' if defined $want->{state} && $want->{state} eq $got->{state};
		return 'refused' if $got->{state} eq '0A000' || $got->{state} eq '42883';
		return defined $want->{state} ? "sqlstate:$want->{state}/$got->{state}" : "error:$got->{state}";
	}
	return "success:$want->{state}" if defined $want->{state};
	return 'rows' if $want->{rows} ne $got->{rows};
	return 'types' if $want->{types} ne $got->{types};
	return 'same';
}

sub _is_difference { return $_[0] !~ /^(same|same_error|error_order|equal_values|refused)$/; }

# Rows with each decimal number written by its value (0.0 and 0, 2.50 and
# 2.5 alike), sorted.
sub _by_value
{
	my ($rows) = @_;
	my @lines = map {
		join('|', map {
			my $v = $_;
			if ($v =~ /^-?\d+\.\d*$/)
			{
				$v =~ s/\.?0*$//;
				$v = '0' if $v eq '-0';
			}
			$v
		} split(/\|/, $_, -1))
	} split(/\n/, $rows, -1);
	return join("\n", sort @lines);
}

# classify() for target $name.  A target that runs a statement on several
# shards at once (order_free) meets the rows in no fixed order: when
# PostgreSQL and the target both fail with different SQLSTATEs, the target
# may have met another failing row first ('error_order', not a difference);
# where the statement keeps one of equal values (DISTINCT, GROUP BY, UNION,
# INTERSECT, EXCEPT), it may keep another of equal numerics than
# PostgreSQL (0.0 for 0: 'equal_values', not a difference).
sub _classify
{
	my ($self, $name, $want, $got, $sql) = @_;
	my $c = classify($want, $got);
	return $c unless $self->{order_free}{$name};
	return 'error_order' if $c =~ /^sqlstate:/;
	return 'equal_values'
	  if $c eq 'rows'
	  && defined $sql
	  && $sql =~ /\b(DISTINCT|GROUP BY|UNION|INTERSECT|EXCEPT)\b/i
	  && _by_value($want->{rows}) eq _by_value($got->{rows});
	return $c;
}

# ---------------------------------------------------------------- set-up

=pod

=head2 setup

Creates the families' tables on PostgreSQL and every target and inserts
their rows one by one; a row one server rejects is removed from the others
(and noted), so that every server holds the same rows.

=cut

sub setup
{
	my ($self) = @_;
	my %all = (postgres => $self->{pg}, %{ $self->{targets} });
	for my $name (sort keys %all)
	{
		for my $s (@session_settings)
		{
			$all{$name}->do($s) or $self->_note("$name: $s: " . $all{$name}->state . ' ' . $all{$name}->errstr);
		}
	}
	for my $fam (@SqlFuzz::Grammar::families)
	{
		for my $name (sort keys %all)
		{
			my $sql = SqlFuzz::Grammar::create_table($fam);
			$all{$name}->do($sql) or $self->_note("$name: $sql: " . $all{$name}->state . ' ' . $all{$name}->errstr);
		}
		for my $sql (SqlFuzz::Grammar::insert_rows($fam))
		{
			my %failed;
			for my $name (sort keys %all)
			{
				next if $all{$name}->do($sql);
				$failed{$name} = $all{$name}->state . ' ' . $all{$name}->errstr;
			}
			next unless %failed;
			my ($id) = $sql =~ /VALUES \((\d+),/;
			$_->do("DELETE FROM $fam->{table} WHERE id = $id") for values %all;
			$self->_note("$_: $sql: $failed{$_}") for sort keys %failed;
			push @{ $self->{setup_failed} }, "setup\t" . join(',', sort keys %failed) . "\t$sql";
		}
	}
}

sub _note
{
	my ($self, $line) = @_;
	$line =~ s/\s+$//;
	push @{ $self->{setup_notes} }, $line;
}

sub setup_notes { return @{ $_[0]->{setup_notes} }; }

# The rows some server rejected, as known-differences lines:
# setup <TAB> servers <TAB> INSERT statement.
sub setup_lines { return @{ $_[0]->{setup_failed} // [] }; }

# ---------------------------------------------------------------- oracles

# The kind of difference of case $case (with trees @t) on target $name, or
# the class of its answer ('same', 'same_error', 'refused').
sub probe
{
	my ($self, $case, $name, @t) = @_;
	my $dbh = $self->{targets}{$name};
	my $text = $case->{build}->(@t);
	if ($case->{oracle} eq 'diff')
	{
		my $want = answer($self->{pg}, $text, $case->{ordered});
		my $got = answer($dbh, $text, $case->{ordered});
		my $class = $self->_classify($name, $want, $got, $text);
		$class = 'crash' if _is_difference($class) && $self->_lost($name);
		return ($class, $want, $got);
	}
	my @stmts = $case->{oracle} eq 'tlp'
	  ? SqlFuzz::Grammar::tlp_statements($case->{table}, $text)
	  : SqlFuzz::Grammar::norec_statements($case->{table}, $text);
	my @want = map { answer($self->{pg}, $_, 1) } @stmts;
	my @got = map { answer($dbh, $_, 1) } @stmts;
	# each statement is compared with PostgreSQL's answer too
	my $worst = 'same';
	for my $i (0 .. $#stmts)
	{
		my $c = $self->_classify($name, $want[$i], $got[$i]);
		if (_is_difference($c)) { $worst = $c; last; }
		$worst = $c if $c eq 'refused' || ($c =~ /^(same_error|error_order)$/ && $worst eq 'same');
	}
	if ($worst eq 'same')
	{
		my @n = map { $_->{rows} eq 'NULL' ? 0 : $_->{rows} } @got;
		if ($case->{oracle} eq 'tlp')
		{
			$worst = 'tlp' if $n[1] + $n[2] + $n[3] != $n[0];
		}
		else
		{
			$worst = 'norec' if $n[0] != $n[1];
		}
	}
	$worst = 'crash' if _is_difference($worst) && $self->_lost($name);
	my $fmt = sub { join(' ; ', map { defined $_->{state} ? "ERROR $_->{state} $_->{msg}" : $_->{rows} } @_) };
	return ($worst, { rows => $fmt->(@want), types => '' }, { rows => $fmt->(@got), types => '' });
}

# True if target $name lost its connection or a process behind it (a
# crash); the target is started and connected again when it can be.
sub _lost
{
	my ($self, $name) = @_;
	my $dbh = $self->{targets}{$name};
	return 0 if $dbh->ping && $self->{alive}->($name);
	# a process that closed the connection may still be writing its
	# sanitizer report: wait for it to exit
	DoSQL::Test::Utils::poll_until(sub { !$self->{alive}->($name) }, 30);
	$self->{targets}{$name} = $self->{reconnect}->($name) if $self->{reconnect};
	return 1;
}

# The known-differences line of case $case with trees @t.
sub known_line
{
	my ($case, @t) = @_;
	my $text = $case->{build}->(@t);
	return "diff\t" . ($case->{ordered} ? 'ordered' : 'unordered') . "\t$text" if $case->{oracle} eq 'diff';
	return "$case->{oracle}\t$case->{table}\t$text";
}

# Shrinks the trees of a case while target $name still shows a difference
# of kind $kind; returns the smallest trees found.
sub minimize
{
	my ($self, $case, $name, $kind) = @_;
	my @t = @{ $case->{trees} };
	my $budget = $self->{minimize_budget};
	my $cols = SqlFuzz::Grammar::columns_by_type($case->{family});
  PASS:
	while ($budget > 0)
	{
		for my $i (0 .. $#t)
		{
			for my $cand (SqlFuzz::Grammar::shrinks($t[$i], $cols))
			{
				last PASS if $budget-- <= 0;
				my @try = @t;
				$try[$i] = $cand;
				my ($k) = $self->probe($case, $name, @try);
				if ($k eq $kind)
				{
					@t = @try;
					next PASS;
				}
			}
		}
		last;
	}
	return @t;
}

# ---------------------------------------------------------------- the run

=pod

=head2 fuzz(seed => N, seconds => S, queries => Q)

Generates statements from seed N, family after family, until S seconds
have passed or Q statements per family ran (whichever comes first; 0 is
no limit), and runs each on every target.

=cut

sub fuzz
{
	my ($self, %o) = @_;
	my $rng = SqlFuzz::Grammar::new_rng($o{seed});
	my $until = $o{seconds} ? time + $o{seconds} : 0;
	my $n = 0;
	my @fams = @SqlFuzz::Grammar::families;
	@fams = grep { $o{families}{ $_->{name} } } @fams if $o{families};
	while (1)
	{
		last if $until && time >= $until;
		last if $o{queries} && $n >= $o{queries};
		$n++;
		for my $fam (@fams)
		{
			my $case = SqlFuzz::Grammar::gen_query($rng, $fam);
			$case->{family} = $fam;
			$case->{number} = $n;
			$self->run_case($case);
		}
	}
	return $n;
}

sub run_case
{
	my ($self, $case) = @_;
	my $fam = $case->{family}{name};
	for my $name (sort keys %{ $self->{targets} })
	{
		my $st = $self->{stats}{$fam}{$name} //= {};
		$st->{queries}++;
		$st->{ $case->{oracle} . '_checks' }++ if $case->{oracle} ne 'diff';
		my ($kind, $want, $got) = $self->probe($case, $name, @{ $case->{trees} });
		if (!_is_difference($kind))
		{
			$st->{$kind}++;
			next;
		}
		my @small = $self->minimize($case, $name, $kind);
		my $line = known_line($case, @small);
		my (undef, $w2, $g2) = $self->probe($case, $name, @small);
		my $known = $self->{known}{$line} ? 1 : 0;
		$st->{ $known ? 'known' : 'new' }++;
		$st->{ 'kind_' . ($kind =~ s/:.*//r) }++;
		my $d = { family => $fam, target => $name, kind => $kind, line => $line, known => $known,
			original => known_line($case, @{ $case->{trees} }), want => $w2, got => $g2, number => $case->{number},
			shape => $case->{shape} };
		push @{ $self->{diffs} }, $d;
		$self->_report($d);
	}
}

sub _show
{
	my ($a) = @_;
	return "ERROR $a->{state}: $a->{msg}" if defined $a->{state};
	my $rows = $a->{rows};
	$rows = substr($rows, 0, 600) . ' ...' if length($rows) > 600;
	return ($a->{types} ne '' ? "[$a->{types}]\n" : '') . $rows;
}

sub _report
{
	my ($self, $d) = @_;
	my $fh = $self->{report} or return;
	my $seen = $self->{seen}{"$d->{target}\t$d->{line}"}++;
	return if $seen;
	(my $w = _show($d->{want})) =~ s/^/    /mg;
	(my $g = _show($d->{got})) =~ s/^/    /mg;
	print {$fh} "== $d->{family} / $d->{target} / $d->{kind} / $d->{shape} (statement $d->{number})"
	  . ($d->{known} ? ' [known]' : ' [NEW]') . "\n"
	  . "minimized: $d->{line}\n"
	  . "original:  $d->{original}\n"
	  . "postgres:\n$w\n$d->{target}:\n$g\n\n";
}

sub differences { return @{ $_[0]->{diffs} }; }

# Every distinct line the run found: the set-up's and the differences'.
sub all_lines
{
	my ($self) = @_;
	my %l = map { $_->{line} => 1 } @{ $self->{diffs} };
	$l{$_} = 1 for $self->setup_lines;
	return sort keys %l;
}

# The distinct minimized lines of the differences not in the known list.
sub new_lines
{
	my ($self) = @_;
	my %l = map { $_->{line} => 1 } grep { !$_->{known} } @{ $self->{diffs} };
	return sort keys %l;
}

=pod

=head2 summary

A table of counts per family and target.

=cut

sub summary
{
	my ($self) = @_;
	my @cols = qw(queries same same_error error_order equal_values refused known new tlp_checks norec_checks);
	my $out = sprintf("%-9s %-7s" . (" %10s" x @cols) . "\n", 'family', 'target', @cols);
	my %tot;
	for my $fam (map { $_->{name} } @SqlFuzz::Grammar::families)
	{
		for my $name (sort keys %{ $self->{targets} })
		{
			my $st = $self->{stats}{$fam}{$name} or next;
			$out .= sprintf("%-9s %-7s" . (" %10d" x @cols) . "\n", $fam, $name, map { $st->{$_} // 0 } @cols);
			$tot{$name}{$_} += $st->{$_} // 0 for @cols;
		}
	}
	for my $name (sort keys %tot)
	{
		$out .= sprintf("%-9s %-7s" . (" %10d" x @cols) . "\n", 'total', $name, map { $tot{$name}{$_} } @cols);
	}
	my %kinds;
	for my $fam (values %{ $self->{stats} })
	{
		for my $st (values %$fam)
		{
			for my $k (grep { /^kind_/ } keys %$st)
			{
				$kinds{ substr($k, 5) } += $st->{$k};
			}
		}
	}
	$out .= 'differences by kind: ' . join(', ', map { "$_ $kinds{$_}" } sort keys %kinds) . "\n" if %kinds;
	return $out;
}

# ---------------------------------------------------------------- known list

# The known-differences file as a set of lines (comments and blank lines
# skipped).
sub read_known
{
	my ($file) = @_;
	my %k;
	return \%k unless defined $file && -e $file;
	open(my $fh, '<:encoding(UTF-8)', $file) or die "$file: $!";
	while (my $l = <$fh>)
	{
		chomp $l;
		next if $l =~ /^\s*(#|$)/;
		$k{$l} = 1;
	}
	return \%k;
}

=pod

=head2 check_line($line)

Runs a known-differences line again on every target: returns the targets
on which it still differs, each with the kind (C<{ shard => 'rows' }>).

=cut

sub check_line
{
	my ($self, $line) = @_;
	my ($oracle, $arg, $text) = split /\t/, $line, 3;
	my $case = { oracle => $oracle, build => sub { $text } };
	if ($oracle eq 'diff')
	{
		$case->{ordered} = $arg eq 'ordered';
	}
	else
	{
		$case->{table} = $arg;
	}
	my %still;
	for my $name (sort keys %{ $self->{targets} })
	{
		my ($kind) = $self->probe($case, $name);
		$still{$name} = $kind if _is_difference($kind);
	}
	return \%still;
}

1;
