# Differential test: the public sqllogictest corpus (select1..5, evidence/,
# random/aggregates|groupby|select) is run on a real PostgreSQL 15 (the
# oracle, started by this test) and on a dosql-shard, and the answers are
# compared. The big files are sampled deterministically (every Nth query).
#
# The expected results written in the .test files are not used: they are
# other engines' answers. Records are selected as the format prescribes for
# the engine "postgresql" (onlyif/skipif/halt).
#
# Per record, each sent to both servers as a simple Query message:
#   statement ok     PostgreSQL fails: not compared. DoSQL fails with
#                    0A000: an honest refusal. DoSQL fails otherwise:
#                    mismatch.
#   query            both succeed: rows compared as text after the record's
#                    sort mode (nosort, rowsort, valuesort).
#   query, statement error
#                    PostgreSQL fails: DoSQL must fail too (any SQLSTATE;
#                    how many have the same SQLSTATE is reported).
#   any              DoSQL fails where PostgreSQL succeeds: 0A000 is a
#                    refusal, anything else a mismatch.
# Column names and types of matching results are compared too and reported
# in the summary, without failing the test.
#
# One assertion per corpus file: no mismatches in it (up to 10 listed).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time);
use DoSQL::Test::ServerNode;
use DoSQL::Test::Oracle;
use DoSQL::Test::Utils qw(run_command);
use DoSQL::Test::Deps qw(require_dependency perl_module_missing file_missing);

BEGIN
{
	require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl'));
	DBD::Pg->import(':async');
}

my $corpus = "$DoSQL::Test::ServerNode::repo_dir/../shared/reference/sqllogictest";
require_dependency(file_missing($corpus), DoSQL::Test::Oracle::unavailable());

# Which files are run, and every how many query records one is kept
# (deterministic sample of the big files, to keep the test fast; statement
# records are always run: they build the state).
my @files = (
	[ 'select1.test', 1 ], [ 'select2.test', 1 ], [ 'select3.test', 3 ],
	[ 'select4.test', 3 ], [ 'select5.test', 1 ],
	(map { [ "evidence/$_", 1 ] } qw(in1.test in2.test slt_lang_aggfunc.test)),
	(map { my $d = $_; map { [ "random/$d/slt_good_$_.test", 37 ] } 0 .. 7 }
		qw(aggregates groupby select)));

# ---------------------------------------------------------------- oracle
# select5 joins up to 64 tables: a cheap genetic join search keeps planning
# fast (plans never change answers).
my $oracle = DoSQL::Test::Oracle->start(settings => '-c geqo_effort=1 -c geqo_generations=1 -c geqo_pool_size=2');

my %dbopts = (RaiseError => 0, PrintError => 0, AutoCommit => 1);
my $pg = DBI->connect($oracle->dsn, 'postgres', '', \%dbopts)
  or BAIL_OUT("cannot connect to PostgreSQL: $DBI::errstr");

# ---------------------------------------------------------------- DoSQL
my $node = DoSQL::Test::ServerNode->new_shard('diff');
$node->start;
my $ds = DBI->connect(
	'dbi:Pg:host=' . $node->host . ';port=' . $node->port . ';dbname=dosql',
	'dosql', '', \%dbopts)
  or BAIL_OUT("cannot connect to dosql-shard: $DBI::errstr");

# ---------------------------------------------------------------- corpus
# Records of a file, as hashes: type (statement|query), sql, types, sort,
# line. onlyif/skipif are applied for the engine "postgresql"; halt ends
# the file.
sub parse_file
{
	my ($path) = @_;
	open my $fh, '<', $path or die "$path: $!";
	my @lines = <$fh>;
	close $fh;
	chomp @lines;
	s/\r$// for @lines;

	my @records;
	my $i = 0;
	while ($i < @lines)
	{
		if ($lines[$i] =~ /^\s*$/ || $lines[$i] =~ /^#/)
		{
			$i++;
			next;
		}
		my $start = $i + 1;
		my @rec;
		while ($i < @lines && $lines[$i] !~ /^\s*$/)
		{
			push @rec, $lines[$i] unless $lines[$i] =~ /^#/;
			$i++;
		}
		my $skip = 0;
		while (@rec && $rec[0] =~ /^(onlyif|skipif)\s+(\S+)/)
		{
			my ($cond, $engine) = ($1, $2);
			$skip = 1 if $cond eq 'onlyif' && $engine ne 'postgresql';
			$skip = 1 if $cond eq 'skipif' && $engine eq 'postgresql';
			shift @rec;
		}
		next if !@rec || $skip;
		my $head = shift @rec;
		if ($head =~ /^halt\b/)
		{
			last;
		}
		elsif ($head =~ /^statement\s+(ok|error)/)
		{
			push @records, { type => 'statement', expect => $1,
				sql => join("\n", @rec), line => $start };
		}
		elsif ($head =~ /^query\s+(\S+)\s*(\S*)/)
		{
			my ($types, $sort) = ($1, $2 || 'nosort');
			my @sql;
			while (@rec && $rec[0] ne '----')
			{
				push @sql, shift @rec;
			}
			push @records, { type => 'query', types => $types, sort => $sort,
				sql => join("\n", @sql), line => $start };
		}
		# hash-threshold and anything else: nothing to run.
	}
	return @records;
}

# Sends $sql as a simple Query message without waiting for the answer, so
# that both servers work at the same time.
sub send_sql
{
	my ($dbh, $sql) = @_;
	my $sth = $dbh->prepare($sql, { pg_async => PG_ASYNC, pg_direct => 1 });
	return { dbh => $dbh, sth => $sth, sent => ($sth && $sth->execute) };
}

# Waits for the answer to send_sql. Returns { rows, names, types } or
# { state, err }.
sub get_result
{
	my ($q) = @_;
	my ($dbh, $sth) = @$q{qw(dbh sth)};
	if ($q->{sent} && defined $dbh->pg_result)
	{
		my $nf = $sth->{NUM_OF_FIELDS} // 0;
		my $rows = $nf ? $sth->fetchall_arrayref : [];
		if (!$sth->err)
		{
			return {
				rows => $rows,
				names => $nf ? [ @{ $sth->{NAME} } ] : [],
				types => $nf ? [ @{ $sth->{pg_type} } ] : [],
			};
		}
	}
	my $state = $dbh->state // '';
	my $err = $dbh->errstr // 'unknown error';
	$err =~ s/\s+$//;
	return { state => $state, err => $err };
}

sub run_sql
{
	my ($dbh, $sql) = @_;
	return get_result(send_sql($dbh, $sql));
}

sub value_text
{
	my ($v) = @_;
	return 'NULL' unless defined $v;
	return '(empty)' if $v eq '';
	return $v;
}

# The rows of a result as a list of lines after the sort mode.
sub sorted_lines
{
	my ($res, $sort) = @_;
	if ($sort eq 'valuesort')
	{
		return [ sort map { map { value_text($_) } @$_ } @{ $res->{rows} } ];
	}
	my @lines = map { join(' | ', map { value_text($_) } @$_) } @{ $res->{rows} };
	@lines = sort @lines if $sort eq 'rowsort';
	return \@lines;
}

sub show_result
{
	my ($res) = @_;
	return "ERROR $res->{state}: $res->{err}" if defined $res->{state};
	my @rows = map { join(' | ', map { value_text($_) } @$_) } @{ $res->{rows} };
	my $n = @rows;
	@rows = (@rows[ 0 .. 4 ], '...') if @rows > 6;
	return "$n row(s): " . join('; ', @rows);
}

# Totals over every file.
my %total = map { $_ => 0 }
  qw(records statements queries match refused mismatch pg_error both_error
  same_state skipped_pg meta_diff);
my @meta_examples;
# 0A000 refusals by message; queries both fail with different SQLSTATEs.
my (%refusals, @state_diffs);
# Statements PostgreSQL fails (not compared).
my @skipped;

my $started = time;
for my $f (@files)
{
	my ($file, $stride) = @$f;
	my $path = "$corpus/$file";
	if (!-r $path)
	{
		fail("no mismatches in $file");
		diag("cannot read $path");
		next;
	}
	my @records = parse_file($path);
	my $qn = 0;
	my (@mismatches, %count, @tables);
	my $file_start = time;

	for my $r (@records)
	{
		if ($r->{type} eq 'query')
		{
			next if $qn++ % $stride != 0;
		}
		$count{records}++;
		$total{records}++;
		my $dq = send_sql($ds, $r->{sql});
		my $pq = send_sql($pg, $r->{sql});
		my $p = get_result($pq);
		my $d = get_result($dq);
		my $problem;
		my $stmt = $r->{type} eq 'statement';
		$total{ $stmt ? 'statements' : 'queries' }++;

		if (defined $p->{state})
		{
			if ($stmt && $r->{expect} eq 'ok')
			{
				# Not valid for PostgreSQL: no oracle.
				$total{skipped_pg}++;
				push @skipped, "$file:$r->{line}: $r->{sql}\n    PostgreSQL: "
				  . show_result($p) . "\n    DoSQL:      " . show_result($d)
				  if @skipped < 10;
				next;
			}
			# A query (or a "statement error") PostgreSQL rejects: DoSQL
			# must reject it too.
			$total{pg_error}++;
			if (defined $d->{state})
			{
				$total{both_error}++;
				if ($d->{state} eq $p->{state})
				{
					$total{same_state}++;
				}
				elsif (@state_diffs < 10)
				{
					push @state_diffs, "$file:$r->{line}: $r->{sql}\n"
					  . '    PostgreSQL: ' . show_result($p) . "\n"
					  . '    DoSQL:      ' . show_result($d);
				}
				$total{match}++;
			}
			else
			{
				$problem = 'DoSQL succeeds where PostgreSQL fails';
			}
		}
		elsif (defined $d->{state})
		{
			if ($d->{state} eq '0A000')
			{
				$total{refused}++;
				$refusals{ (split /\n/, $d->{err})[0] }++;
			}
			else
			{
				$problem = 'DoSQL fails where PostgreSQL succeeds';
			}
		}
		elsif ($stmt)
		{
			$total{match}++;
		}
		else
		{
			my $pl = sorted_lines($p, $r->{sort});
			my $dl = sorted_lines($d, $r->{sort});
			if (join("\n", @$pl) ne join("\n", @$dl)
				|| @{ $p->{names} } != @{ $d->{names} })
			{
				$problem = 'different rows';
			}
			else
			{
				$total{match}++;
				my $pm = join(',', map { "$p->{names}[$_]:$p->{types}[$_]" } 0 .. $#{ $p->{names} });
				my $dm = join(',', map { "$d->{names}[$_]:$d->{types}[$_]" } 0 .. $#{ $d->{names} });
				if ($pm ne $dm)
				{
					$total{meta_diff}++;
					push @meta_examples, "$file:$r->{line}: $r->{sql}\n"
					  . "    PostgreSQL columns: $pm\n    DoSQL columns:      $dm"
					  if @meta_examples < 10;
				}
			}
		}
		push @tables, $1
		  if $stmt && !defined $p->{state}
		  && $r->{sql} =~ /^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)/i;

		if (defined $problem)
		{
			$total{mismatch}++;
			push @mismatches,
			  "$file:$r->{line}: $problem\n  SQL: $r->{sql}\n"
			  . '  PostgreSQL: ' . show_result($p) . "\n"
			  . '  DoSQL:      ' . show_result($d);
		}
	}

	# Each file starts from an empty database.
	for my $t (reverse @tables)
	{
		run_sql($pg, "DROP TABLE IF EXISTS $t");
		run_sql($ds, "DROP TABLE IF EXISTS $t");
	}

	note(sprintf('%s: %d records, %d mismatches, %.1f s', $file,
			$count{records} // 0, scalar(@mismatches), time - $file_start));
	ok(!@mismatches, "no mismatches in $file")
	  or diag(join("\n", grep { defined } @mismatches[ 0 .. 9 ])
		  . (@mismatches > 10 ? "\n(" . (@mismatches - 10) . ' more)' : ''));
}

note(sprintf(
		"summary: %d records run (%d statements, %d queries) in %.1f s; "
		  . "%d match, %d refused with 0A000, %d mismatches; "
		  . "%d statements skipped (PostgreSQL fails them); "
		  . "%d queries PostgreSQL fails, %d of them DoSQL fails too, "
		  . "%d with the same SQLSTATE; "
		  . "%d matching results with other column names or types",
		@total{qw(records statements queries)}, time - $started,
		@total{qw(match refused mismatch skipped_pg pg_error both_error
		  same_state meta_diff)}));
if (%refusals)
{
	my @msgs = sort { $refusals{$b} <=> $refusals{$a} || $a cmp $b } keys %refusals;
	splice(@msgs, 20) if @msgs > 20;
	note("0A000 refusals by message (top 20):\n"
		  . join("\n", map { sprintf('%6d  %s', $refusals{$_}, $_) } @msgs));
}
note("statements PostgreSQL fails, not compared (first 10):\n" . join("\n", @skipped))
  if @skipped;
note("both fail with different SQLSTATEs (first 10):\n" . join("\n", @state_diffs))
  if @state_diffs;
note("column names/types differing (first 10):\n" . join("\n", @meta_examples))
  if @meta_examples;

ok($total{queries} > 0 && $total{match} > 0, 'some queries ran and matched');

$pg->disconnect;
$ds->disconnect;
$oracle->stop;

done_testing();
