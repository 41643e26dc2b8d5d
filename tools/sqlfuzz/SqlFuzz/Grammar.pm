package SqlFuzz::Grammar;

=pod

=head1 NAME

SqlFuzz::Grammar - the tables, edge values, typed expressions and query
shapes of the randomized differential tester

=head1 DESCRIPTION

One table per type family (integer, numeric, float, text, datetime, bool,
json, arrays), each with an C<id int primary key> and columns of the
family's types, filled with the same rows of edge values on every server.
Expressions are trees of typed nodes: a leaf (a column or a literal) or an
operator or function whose arguments are trees of the types it takes.  A
query is a shape (projection, WHERE, ORDER BY, DISTINCT, aggregates, GROUP
BY, windows, joins, subqueries, UNION, a constant expression) applied to
one or two expression trees; rendering the trees again after one was
shrunk gives the smaller statement the minimizer tries.

Everything is drawn from one linear congruential generator seeded by the
caller, so a seed always gives the same statements.

=cut

use strict;
use warnings;
use utf8;

# ---------------------------------------------------------------- random

sub new_rng
{
	my ($seed) = @_;
	my $state = ($seed // 1) % 2147483648;
	return sub {
		my ($n) = @_;
		$state = ($state * 1103515245 + 12345) % 2147483648;
		return int($state / 65536) % $n;
	};
}

# ---------------------------------------------------------------- tables

# Edge values of each column type, as SQL literals of that type.
my %edge = (
	int2 => [ '0', '1', '-1', '32767', '-32768', '7', '42', 'NULL', '-7', '100' ],
	int4 => [ '0', '1', '-1', '2147483647', '-2147483648', '7', '42', 'NULL', '-100', '65536', '3' ],
	int8 => [ '0', '1', '-1', '9223372036854775807', '-9223372036854775808', '4294967296', 'NULL', '42', '-5' ],
	numeric => [ '0', '1.5', '-2.25', '9.5', '40', '100.25', q{'NaN'}, '123456789.123456789', '0.00000000000000000001',
		'NULL', '-0.0', '1e20', '2.50', '-999999999999999999999' ],
	'numeric(10,2)' => [ '9.5', '40', '19', '2.2', '100.25', '0.00', '-0.01', 'NULL', '99999999.99', '-5', '2.25', q{'NaN'} ],
	'numeric(30,10)' => [ '0.0000000001', '-1', '12345678901234567890.5', 'NULL', '3.1415926535', '0', '1e-5', '-7.5' ],
	real => [ '0', q{'-0'}, '1.5', '-3.25', q{'NaN'}, q{'Infinity'}, q{'-Infinity'}, '3.4e38', '1e-37', '0.1', 'NULL', '16777217' ],
	float8 => [ '0', q{'-0'}, '1.5', '-3.25', q{'NaN'}, q{'Infinity'}, q{'-Infinity'}, '1e308', '1e-307', '0.1', 'NULL',
		'9007199254740993', '2.5' ],
	text => [ q{''}, q{'abc'}, q{'Abc'}, q{'ABC'}, q{'é'}, q{'ÄÖÜ'}, q{'日本語'}, q{'a b'}, q{' lead'}, q{'trail '}, q{'Zebra'},
		q{'zebra'}, q{'%_\\'}, 'NULL', q{'0'}, q{'10'}, q{'9'}, q{'a,b,c'} ],
	'varchar(10)' => [ q{'x'}, q{''}, q{'ü'}, 'NULL', q{'Apple'}, q{'apple'}, q{'b'}, q{'1.5'}, q{'  '} ],
	'char(4)' => [ q{'ab'}, q{'ab  '}, q{'b'}, q{'A'}, 'NULL', q{' a'}, q{''}, q{'日本'} ],
	date => [ q{'2024-03-10'}, q{'2024-03-31'}, q{'2000-02-29'}, q{'1999-12-31'}, q{'infinity'}, q{'-infinity'}, 'NULL',
		q{'2024-10-27'}, q{'0001-01-01'}, q{'1970-01-01'} ],
	timestamp => [ q{'2024-03-10 02:30:00'}, q{'2024-10-27 02:30:00'}, q{'2000-02-29 23:59:59.999999'}, q{'1999-12-31 00:00:00'},
		q{'infinity'}, 'NULL', q{'1970-01-01 00:00:00'}, q{'2024-01-31 10:00:00.5'} ],
	timestamptz => [ q{'2024-03-10 02:30:00-05'}, q{'2024-03-10 07:30:00+00'}, q{'2024-10-27 02:30:00+02'},
		q{'2024-10-27 02:10:00+01'}, q{'-infinity'}, 'NULL', q{'2000-01-01 00:00:00+14'}, q{'1999-12-31 23:59:59.5-12'} ],
	interval => [ q{'1 day'}, q{'30 days'}, q{'1 month'}, q{'-1 hour'}, q{'1 year 2 mons 3 days 04:05:06.789'}, q{'0'},
		q{'999 days'}, q{'-00:00:01'}, 'NULL', q{'24:00:00'} ],
	time => [ q{'00:00'}, q{'23:59:59.999999'}, q{'12:30'}, 'NULL', q{'24:00:00'}, q{'01:02:03.5'} ],
	bool => [ 'true', 'false', 'NULL' ],
	jsonb => [ q{'{}'}, q{'[]'}, q{'null'}, q{'1'}, q{'"s"'}, q{'{"a":1,"b":[1,2,3]}'}, q{'[1,"a",null,{"x":2}]'},
		q{'{"a":{"b":"c"}}'}, q{'1.50'}, q{'{"a":null}'}, q{'true'}, 'NULL', q{'"日本"'}, q{'{"b":2,"a":"x"}'} ],
	json => [ q{'{"a": 1}'}, q{'[1, 2]'}, q{'"x"'}, 'NULL', q{'{"a":{"b":[true]}}'}, q{'1e2'}, q{'{"a":1,"a":2}'} ],
	'int4[]' => [ q{'{}'}, q{'{1,2,3}'}, q{'{NULL}'}, q{'{1,NULL,3}'}, q{'{-2147483648}'}, 'NULL', q{'{3,2,1}'}, q{'{7}'} ],
	'text[]' => [ q{'{}'}, q{'{a,b}'}, q{'{"",NULL}'}, q{'{"a b","日本"}'}, 'NULL', q{'{b,a}'}, q{'{Z}'} ],
);

# Generator type of each column type.
my %gen_type = (
	int2 => 'int', int4 => 'int', int8 => 'int', numeric => 'num', 'numeric(10,2)' => 'num',
	'numeric(30,10)' => 'num', real => 'float', float8 => 'float', text => 'text', 'varchar(10)' => 'text',
	'char(4)' => 'text', date => 'date', timestamp => 'ts', timestamptz => 'tstz', interval => 'interval',
	time => 'time', bool => 'bool', jsonb => 'jsonb', json => 'json', 'int4[]' => 'intarr', 'text[]' => 'textarr',
);

# The families: their table, its columns and the types their queries are about.
our @families = (
	{ name => 'integer', table => 'fz_int', cols => [ [ a => 'int2' ], [ b => 'int4' ], [ c => 'int8' ] ], types => ['int'] },
	{ name => 'numeric', table => 'fz_num', cols => [ [ a => 'numeric' ], [ b => 'numeric(10,2)' ], [ c => 'numeric(30,10)' ] ],
		types => ['num'] },
	{ name => 'float', table => 'fz_float', cols => [ [ a => 'real' ], [ b => 'float8' ], [ c => 'float8' ] ], types => ['float'] },
	{ name => 'text', table => 'fz_text', cols => [ [ a => 'text' ], [ b => 'varchar(10)' ], [ c => 'char(4)' ], [ d => 'text' ] ],
		types => ['text'] },
	{ name => 'datetime', table => 'fz_time',
		cols => [ [ a => 'date' ], [ b => 'timestamp' ], [ c => 'timestamptz' ], [ d => 'interval' ], [ e => 'time' ] ],
		types => [ 'date', 'ts', 'tstz', 'interval' ] },
	{ name => 'bool', table => 'fz_bool', cols => [ [ a => 'bool' ], [ b => 'bool' ], [ c => 'int4' ] ], types => ['bool'] },
	{ name => 'json', table => 'fz_json', cols => [ [ a => 'jsonb' ], [ b => 'json' ], [ c => 'jsonb' ] ], types => [ 'jsonb', 'text' ] },
	{ name => 'arrays', table => 'fz_arr', cols => [ [ a => 'int4[]' ], [ b => 'text[]' ], [ c => 'int4[]' ] ],
		types => [ 'intarr', 'textarr' ] },
);

our $rows_per_table = 24;

# The CREATE TABLE statement of a family's table.
sub create_table
{
	my ($fam) = @_;
	return "CREATE TABLE $fam->{table} (id int PRIMARY KEY, "
	  . join(', ', map { "$_->[0] $_->[1]" } @{ $fam->{cols} }) . ')';
}

# The INSERT statements of a family's rows, one per row, the same on every
# run: row i takes value (i * (k + 1) + k) of column k's edge list.
sub insert_rows
{
	my ($fam) = @_;
	my @out;
	for my $i (1 .. $rows_per_table)
	{
		my @vals;
		my $k = 0;
		for my $col (@{ $fam->{cols} })
		{
			my $list = $edge{ $col->[1] };
			push @vals, $list->[ ($i * ($k + 1) + $k) % @$list ];
			$k++;
		}
		push @out, "INSERT INTO $fam->{table} (id, " . join(', ', map { $_->[0] } @{ $fam->{cols} }) . ") VALUES ($i, "
		  . join(', ', @vals) . ')';
	}
	return @out;
}

# ---------------------------------------------------------------- expressions

# Literals of each generator type (never a bare NULL: a typed one).
my %literal = (
	int => [ '0', '1', '-1', '2', '7', '42', '2147483647', '(-2147483648)', '9223372036854775807', '32767', 'NULL::int' ],
	num => [ '1.5', '0.00', '-2.25', '100.25', '1e-10', q{'NaN'::numeric}, '2.5', '99999999999999999999.5', '0', 'NULL::numeric',
		'3' ],
	float => [ '1.5::float8', q{'NaN'::float8}, q{'Infinity'::float8}, q{'-Infinity'::float8}, '1e308::float8', '0.1::float8',
		q{'-0'::float8}, '2.5::float8', 'NULL::float8', '1e-300::float8', '0.5::real' ],
	text => [ q{''}, q{'abc'}, q{'é'}, q{'日本'}, q{'a b'}, q{'Zebra'}, q{'%'}, q{'b'}, 'NULL::text', q{'10'} ],
	bool => [ 'true', 'false', 'NULL::bool' ],
	date => [ q{date '2024-03-10'}, q{date '2000-02-29'}, q{'infinity'::date}, q{date '1999-12-31'}, 'NULL::date' ],
	ts => [ q{timestamp '2024-03-10 02:30:00'}, q{timestamp '2000-02-29 12:00:00.25'}, q{'infinity'::timestamp},
		'NULL::timestamp' ],
	tstz => [ q{timestamptz '2024-03-10 02:30:00-05'}, q{timestamptz '2024-10-27 01:30:00+00'}, 'NULL::timestamptz',
		q{'-infinity'::timestamptz} ],
	interval => [ q{interval '1 day'}, q{interval '1 month'}, q{interval '-1 hour'}, q{interval '30 days'},
		q{interval '1 year 2 mons'}, 'NULL::interval', q{interval '00:00:00.5'} ],
	time => [ q{time '12:00'}, q{time '23:59:59'}, 'NULL::time' ],
	jsonb => [ q{'{"a":1}'::jsonb}, q{'[1,2]'::jsonb}, q{'null'::jsonb}, q{'"a"'::jsonb}, q{'{"a":{"b":2}}'::jsonb},
		'NULL::jsonb', q{'[]'::jsonb}, q{'2.0'::jsonb} ],
	json => [ q{'{"a":1}'::json}, q{'[1, "x"]'::json}, 'NULL::json' ],
	intarr => [ q{'{1,2}'::int[]}, 'ARRAY[1,NULL]', q{'{}'::int[]}, 'ARRAY[3]', 'NULL::int[]' ],
	textarr => [ q{'{a,b}'::text[]}, q{ARRAY['x','']}, q{'{}'::text[]}, 'NULL::text[]' ],
);

# Operators and functions: [result type, format with $1.. for the
# arguments, argument types...].  An argument type 'k' is a small integer
# literal (a scale, a count, a position).
my @rules = (
	# integer
	[ 'int', '($1 + $2)', 'int', 'int' ], [ 'int', '($1 - $2)', 'int', 'int' ], [ 'int', '($1 * $2)', 'int', 'int' ],
	[ 'int', '($1 / $2)', 'int', 'int' ], [ 'int', '($1 % $2)', 'int', 'int' ], [ 'int', '(- $1)', 'int' ],
	[ 'int', 'abs($1)', 'int' ], [ 'int', 'greatest($1, $2)', 'int', 'int' ], [ 'int', 'least($1, $2)', 'int', 'int' ],
	[ 'int', 'coalesce($1, $2)', 'int', 'int' ], [ 'int', 'nullif($1, $2)', 'int', 'int' ],
	[ 'int', 'CASE WHEN $1 THEN $2 ELSE $3 END', 'bool', 'int', 'int' ], [ 'int', 'length($1)', 'text' ],
	[ 'int', 'position($1 in $2)', 'text', 'text' ], [ 'int', 'sign($1)', 'int' ], [ 'int', 'mod($1, $2)', 'int', 'int' ],
	[ 'int', '($1 & $2)', 'int', 'int' ], [ 'int', '($1)::int', 'num' ], [ 'int', '($1)::int8', 'float' ],
	[ 'int', '($1)::int2', 'int' ], [ 'int', 'ascii($1)', 'text' ], [ 'int', '($1 - $2)', 'date', 'date' ],
	[ 'int', 'cardinality($1)', 'intarr' ], [ 'int', 'array_length($1, 1)', 'textarr' ], [ 'int', '($1)[$2]', 'intarr', 'k' ],
	[ 'int', 'jsonb_array_length($1)', 'jsonb' ], [ 'int', 'scale($1)', 'num' ], [ 'int', 'octet_length($1)', 'text' ],
	[ 'int', 'array_position($1, $2)', 'intarr', 'int' ],
	# numeric
	[ 'num', '($1 + $2)', 'num', 'num' ], [ 'num', '($1 - $2)', 'num', 'num' ], [ 'num', '($1 * $2)', 'num', 'num' ],
	[ 'num', '($1 / $2)', 'num', 'num' ], [ 'num', '($1 % $2)', 'num', 'num' ], [ 'num', '(- $1)', 'num' ],
	[ 'num', 'abs($1)', 'num' ], [ 'num', 'round($1, $2)', 'num', 'k' ], [ 'num', 'trunc($1, $2)', 'num', 'k' ],
	[ 'num', 'round($1)', 'num' ], [ 'num', 'ceil($1)', 'num' ], [ 'num', 'floor($1)', 'num' ],
	[ 'num', 'mod($1, $2)', 'num', 'num' ], [ 'num', 'greatest($1, $2)', 'num', 'num' ], [ 'num', 'least($1, $2)', 'num', 'num' ],
	[ 'num', 'coalesce($1, $2)', 'num', 'num' ], [ 'num', '($1)::numeric', 'int' ], [ 'num', '($1)::numeric(10,2)', 'num' ],
	[ 'num', '($1 + $2)', 'num', 'int' ], [ 'num', '($1 * $2)', 'int', 'num' ], [ 'num', 'sign($1)', 'num' ],
	[ 'num', 'CASE WHEN $1 THEN $2 ELSE $3 END', 'bool', 'num', 'num' ], [ 'num', 'sqrt(abs($1))', 'num' ],
	[ 'num', 'extract(epoch from $1)', 'ts' ], [ 'num', 'extract(day from $1)', 'date' ], [ 'num', 'nullif($1, $2)', 'num', 'num' ],
	[ 'num', '($1)::numeric', 'float' ], [ 'num', 'power($1, 2)', 'num' ], [ 'num', 'div($1, $2)', 'num', 'num' ],
	# float
	[ 'float', '($1 + $2)', 'float', 'float' ], [ 'float', '($1 - $2)', 'float', 'float' ],
	[ 'float', '($1 * $2)', 'float', 'float' ], [ 'float', '($1 / $2)', 'float', 'float' ], [ 'float', '(- $1)', 'float' ],
	[ 'float', 'abs($1)', 'float' ], [ 'float', 'sqrt(abs($1))', 'float' ], [ 'float', 'floor($1)', 'float' ],
	[ 'float', 'ceil($1)', 'float' ], [ 'float', 'round($1)', 'float' ], [ 'float', 'greatest($1, $2)', 'float', 'float' ],
	[ 'float', 'least($1, $2)', 'float', 'float' ], [ 'float', 'coalesce($1, $2)', 'float', 'float' ],
	[ 'float', '($1)::float8', 'int' ], [ 'float', '($1)::float8', 'num' ], [ 'float', '($1)::real', 'float' ],
	[ 'float', 'CASE WHEN $1 THEN $2 ELSE $3 END', 'bool', 'float', 'float' ], [ 'float', '($1 + $2)', 'float', 'int' ],
	[ 'float', 'date_part(\'hour\', $1)', 'ts' ], [ 'float', 'trunc($1)', 'float' ], [ 'float', 'cbrt($1)', 'float' ],
	# text
	[ 'text', '($1 || $2)', 'text', 'text' ], [ 'text', 'lower($1)', 'text' ], [ 'text', 'upper($1)', 'text' ],
	[ 'text', 'substr($1, $2, $3)', 'text', 'k', 'k' ], [ 'text', 'replace($1, $2, $3)', 'text', 'text', 'text' ],
	[ 'text', 'trim($1)', 'text' ], [ 'text', 'ltrim($1)', 'text' ], [ 'text', 'rtrim($1)', 'text' ],
	[ 'text', 'left($1, $2)', 'text', 'k' ], [ 'text', 'right($1, $2)', 'text', 'k' ], [ 'text', 'repeat($1, $2)', 'text', 'k' ],
	[ 'text', 'coalesce($1, $2)', 'text', 'text' ], [ 'text', 'concat($1, $2)', 'text', 'int' ], [ 'text', '($1)::text', 'int' ],
	[ 'text', '($1)::text', 'num' ], [ 'text', '($1)::text', 'float' ], [ 'text', '($1)::text', 'bool' ],
	[ 'text', '($1)::text', 'date' ], [ 'text', '($1)::text', 'tstz' ], [ 'text', '($1)::text', 'interval' ],
	[ 'text', 'reverse($1)', 'text' ], [ 'text', 'md5($1)', 'text' ], [ 'text', 'initcap($1)', 'text' ],
	[ 'text', 'lpad($1, $2, \'*\')', 'text', 'k' ], [ 'text', 'split_part($1, \',\', $2)', 'text', 'k' ],
	[ 'text', 'CASE WHEN $1 THEN $2 ELSE $3 END', 'bool', 'text', 'text' ], [ 'text', '($1 ->> \'a\')', 'jsonb' ],
	[ 'text', 'jsonb_typeof($1)', 'jsonb' ], [ 'text', '($1)::text', 'jsonb' ], [ 'text', '($1 #>> \'{a,b}\')', 'jsonb' ],
	[ 'text', '($1 ->> 0)', 'json' ], [ 'text', 'array_to_string($1, \',\')', 'textarr' ], [ 'text', '($1)::text', 'intarr' ],
	[ 'text', 'translate($1, \'ab\', \'xy\')', 'text', ], [ 'text', 'btrim($1, \'a\')', 'text' ], [ 'text', 'nullif($1, $2)', 'text', 'text' ],
	[ 'text', '($1)[$2]', 'textarr', 'k' ], [ 'text', '($1)::text', 'time' ],
	# bool
	[ 'bool', '($1 AND $2)', 'bool', 'bool' ], [ 'bool', '($1 OR $2)', 'bool', 'bool' ], [ 'bool', '(NOT $1)', 'bool' ],
	[ 'bool', '($1 IS NULL)', 'any' ], [ 'bool', '($1 IS NOT NULL)', 'any' ], [ 'bool', '($1 IS TRUE)', 'bool' ],
	[ 'bool', '($1 IS NOT FALSE)', 'bool' ], [ 'bool', '($1 IS UNKNOWN)', 'bool' ],
	[ 'bool', '($1 LIKE $2)', 'text', 'text' ], [ 'bool', '($1 ILIKE $2)', 'text', 'text' ],
	[ 'bool', 'starts_with($1, $2)', 'text', 'text' ], [ 'bool', '($1 @> $2)', 'jsonb', 'jsonb' ], [ 'bool', '($1 ? \'a\')', 'jsonb' ],
	[ 'bool', '($1 = ANY ($2))', 'int', 'intarr' ], [ 'bool', '($1 @> $2)', 'intarr', 'intarr' ],
	[ 'bool', '($1 && $2)', 'intarr', 'intarr' ], [ 'bool', 'CASE WHEN $1 THEN $2 ELSE $3 END', 'bool', 'bool', 'bool' ],
	[ 'bool', 'isfinite($1)', 'date' ], [ 'bool', 'coalesce($1, $2)', 'bool', 'bool' ],
	# date and time
	[ 'date', '($1 + $2)', 'date', 'k' ], [ 'date', '($1 - $2)', 'date', 'k' ], [ 'date', '($1)::date', 'ts' ],
	[ 'date', '($1)::date', 'tstz' ], [ 'date', 'greatest($1, $2)', 'date', 'date' ], [ 'date', 'coalesce($1, $2)', 'date', 'date' ],
	[ 'date', 'CASE WHEN $1 THEN $2 ELSE $3 END', 'bool', 'date', 'date' ],
	[ 'ts', '($1 + $2)', 'ts', 'interval' ], [ 'ts', '($1 - $2)', 'ts', 'interval' ], [ 'ts', '($1)::timestamp', 'date' ],
	[ 'ts', '($1)::timestamp', 'tstz' ], [ 'ts', 'date_trunc(\'month\', $1)', 'ts' ], [ 'ts', '($1 + $2)', 'date', 'interval' ],
	[ 'ts', 'least($1, $2)', 'ts', 'ts' ], [ 'ts', '($1 AT TIME ZONE \'UTC\')', 'tstz' ], [ 'ts', '($1 + $2)', 'date', 'time' ],
	[ 'tstz', '($1 + $2)', 'tstz', 'interval' ], [ 'tstz', '($1 - $2)', 'tstz', 'interval' ],
	[ 'tstz', 'date_trunc(\'day\', $1)', 'tstz' ], [ 'tstz', '($1)::timestamptz', 'ts' ], [ 'tstz', 'greatest($1, $2)', 'tstz', 'tstz' ],
	[ 'tstz', '($1 AT TIME ZONE \'America/New_York\')', 'ts' ],
	[ 'interval', '($1 - $2)', 'ts', 'ts' ], [ 'interval', '($1 * $2)', 'interval', 'k' ],
	[ 'interval', '($1 + $2)', 'interval', 'interval' ], [ 'interval', '(- $1)', 'interval' ],
	[ 'interval', 'justify_days($1)', 'interval' ], [ 'interval', 'justify_hours($1)', 'interval' ],
	[ 'interval', '($1 - $2)', 'tstz', 'tstz' ], [ 'interval', 'age($1, $2)', 'ts', 'ts' ], [ 'interval', '($1 / 2)', 'interval' ],
	[ 'interval', '($1 - $2)', 'time', 'time' ], [ 'time', '($1 + $2)', 'time', 'interval' ], [ 'time', '($1)::time', 'ts' ],
	# json
	[ 'jsonb', '($1 -> \'a\')', 'jsonb' ], [ 'jsonb', '($1 -> 0)', 'jsonb' ], [ 'jsonb', '($1 || $2)', 'jsonb', 'jsonb' ],
	[ 'jsonb', '($1 - \'a\')', 'jsonb' ], [ 'jsonb', 'to_jsonb($1)', 'int' ], [ 'jsonb', 'to_jsonb($1)', 'text' ],
	[ 'jsonb', 'jsonb_build_array($1, $2)', 'int', 'text' ], [ 'jsonb', 'jsonb_build_object(\'k\', $1)', 'jsonb' ],
	[ 'jsonb', '($1 #> \'{a,b}\')', 'jsonb' ], [ 'jsonb', 'coalesce($1, $2)', 'jsonb', 'jsonb' ],
	[ 'jsonb', 'jsonb_strip_nulls($1)', 'jsonb' ], [ 'jsonb', '($1)::jsonb', 'json' ], [ 'jsonb', 'to_jsonb($1)', 'num' ],
	[ 'json', '($1 -> \'a\')', 'json' ], [ 'json', 'to_json($1)', 'text' ], [ 'json', 'json_build_array($1)', 'int' ],
	# arrays
	[ 'intarr', 'array_append($1, $2)', 'intarr', 'int' ], [ 'intarr', 'array_prepend($2, $1)', 'intarr', 'int' ],
	[ 'intarr', 'array_cat($1, $2)', 'intarr', 'intarr' ], [ 'intarr', 'array_remove($1, $2)', 'intarr', 'int' ],
	[ 'intarr', 'ARRAY[$1, $2]', 'int', 'int' ], [ 'intarr', '($1)[1:2]', 'intarr' ], [ 'intarr', 'coalesce($1, $2)', 'intarr', 'intarr' ],
	[ 'intarr', 'array_replace($1, 1, $2)', 'intarr', 'int' ],
	[ 'textarr', 'string_to_array($1, \',\')', 'text' ], [ 'textarr', 'array_append($1, $2)', 'textarr', 'text' ],
	[ 'textarr', 'ARRAY[$1]', 'text' ], [ 'textarr', '($1 || $2)', 'textarr', 'textarr' ],
);

# Comparisons build booleans from any two values of one comparable type.
my @comparable = qw(int num float text date ts tstz interval bool time intarr);
for my $t (@comparable)
{
	push @rules, map { [ 'bool', "(\$1 $_ \$2)", $t, $t ] } ('=', '<', '<=', '<>', '>', '>=', 'IS DISTINCT FROM');
	push @rules, [ 'bool', '($1 BETWEEN $2 AND $3)', $t, $t, $t ], [ 'bool', '($1 IN ($2, $3))', $t, $t, $t ];
}
push @rules, [ 'bool', '($1 = $2)', 'num', 'int' ], [ 'bool', '($1 < $2)', 'float', 'num' ], [ 'bool', '($1 = $2)', 'jsonb', 'jsonb' ],
  [ 'bool', '($1 < $2)', 'date', 'ts' ], [ 'bool', '($1 = $2)', 'ts', 'tstz' ];

my %rules_by_type;
push @{ $rules_by_type{ $_->[0] } }, $_ for @rules;

my @any_types = qw(int num float text date ts tstz interval bool jsonb intarr);

=pod

=head2 Expression trees

A node is C<{ t => TYPE, lit => SQL }> (a literal), C<{ t => TYPE, col =>
NAME }> (a column, rendered with the query's alias) or C<{ t => TYPE, f =>
FORMAT, k => [KIDS] }>.

=cut

# The columns of a family's table by generator type.
sub columns_by_type
{
	my ($fam) = @_;
	my %by;
	push @{ $by{ $gen_type{ $_->[1] } } }, $_->[0] for @{ $fam->{cols} };
	return \%by;
}

# A random tree of type $t at most $depth deep over the columns in $cols
# (undef: literals only).
sub gen_expr
{
	my ($rng, $t, $depth, $cols) = @_;
	$t = $any_types[ $rng->(scalar @any_types) ] if $t eq 'any';
	if ($t eq 'k')
	{
		my @k = (0, 1, 2, 3, 4, -1);
		return { t => 'k', lit => $k[ $rng->(scalar @k) ] };
	}
	my $rules = $rules_by_type{$t} // [];
	if ($depth <= 0 || !@$rules || $rng->(100) < 25)
	{
		return gen_leaf($rng, $t, $cols);
	}
	my $rule = $rules->[ $rng->(scalar @$rules) ];
	my ($rt, $fmt, @args) = @$rule;
	# prefer arguments the table has columns of: retry once
	if (grep { $_ ne 'k' && $_ ne 'any' && !($cols && $cols->{$_}) } @args)
	{
		my $again = $rules->[ $rng->(scalar @$rules) ];
		($rt, $fmt, @args) = @$again;
	}
	return { t => $t, f => $fmt, k => [ map { gen_expr($rng, $_, $depth - 1, $cols) } @args ] };
}

sub gen_leaf
{
	my ($rng, $t, $cols) = @_;
	if ($cols && $cols->{$t} && $rng->(100) < 65)
	{
		my $c = $cols->{$t};
		return { t => $t, col => $c->[ $rng->(scalar @$c) ] };
	}
	my $lits = $literal{$t} or die "no literal of type $t";
	return { t => $t, lit => $lits->[ $rng->(scalar @$lits) ] };
}

# The simplest leaves of type $t (what the minimizer tries in place of a
# subtree): the table's columns of that type, then a literal.
sub simple_leaves
{
	my ($t, $cols) = @_;
	return ({ t => 'k', lit => '1' }) if $t eq 'k';
	my @out = map { { t => $t, col => $_ } } @{ ($cols && $cols->{$t}) // [] };
	push @out, { t => $t, lit => $literal{$t}[0] } if $literal{$t};
	return @out;
}

# SQL text of a tree; columns get the prefix $p (e.g. 'x.').
sub render
{
	my ($n, $p) = @_;
	$p //= '';
	return $n->{lit} if exists $n->{lit};
	return $p . $n->{col} if exists $n->{col};
	my $s = $n->{f};
	$s =~ s/\$(\d)/render($n->{k}[$1 - 1], $p)/ge;
	return $s;
}

# Number of nodes of a tree.
sub size
{
	my ($n) = @_;
	my $s = 1;
	$s += size($_) for @{ $n->{k} // [] };
	return $s;
}

# Every tree made from $n by replacing one node by one of its kids of the
# same type or by a simple leaf of its type, smallest first.
sub shrinks
{
	my ($n, $cols) = @_;
	my @out;
	if ($n->{k})
	{
		push @out, grep { $_->{t} eq $n->{t} } @{ $n->{k} };
		push @out, simple_leaves($n->{t}, $cols);
		for my $i (0 .. $#{ $n->{k} })
		{
			for my $kid (shrinks($n->{k}[$i], $cols))
			{
				my @k = @{ $n->{k} };
				$k[$i] = $kid;
				push @out, { %$n, k => \@k };
			}
		}
	}
	elsif (exists $n->{col})
	{
		push @out, grep { !exists $_->{col} } simple_leaves($n->{t}, $cols);
	}
	return sort { size($a) <=> size($b) } @out;
}

# ---------------------------------------------------------------- queries

=pod

=head2 Queries

C<gen_query($rng, $fam)> returns C<{ shape, trees => [...], build => sub {
@trees -> SQL }, ordered => BOOL, oracle => 'diff' | 'tlp' | 'norec' }>.
For C<tlp> and C<norec> the build gives the predicate and the query is a
set of statements the runner derives from it.

=cut

# Aggregates that take a value of the type.
my %aggs = (
	int => [ 'sum', 'avg', 'min', 'max', 'count', 'bit_and', 'stddev_samp' ],
	num => [ 'sum', 'avg', 'min', 'max', 'count', 'variance' ],
	float => [ 'sum', 'avg', 'min', 'max', 'count', 'stddev_pop' ],
	text => [ 'min', 'max', 'count' ],
	date => [ 'min', 'max', 'count' ], ts => [ 'min', 'max', 'count' ], tstz => [ 'min', 'max', 'count' ],
	interval => [ 'min', 'max', 'sum', 'avg', 'count' ],
	bool => [ 'bool_and', 'bool_or', 'count', 'every' ],
	jsonb => [ 'count' ], intarr => [ 'count', 'min', 'max' ], textarr => [ 'count', 'max' ],
);

# Types a query can ORDER BY, DISTINCT or GROUP BY.
my %orderable = map { $_ => 1 } qw(int num float text date ts tstz interval bool intarr textarr jsonb);

sub gen_query
{
	my ($rng, $fam) = @_;
	my $cols = columns_by_type($fam);
	my $T = $fam->{table};
	my $t = $fam->{types}[ $rng->(scalar @{ $fam->{types} }) ];
	my $depth = 1 + $rng->(4);
	my $e = sub { gen_expr($rng, $t, $depth, $cols) };
	my $p = sub { gen_expr($rng, 'bool', $depth, $cols) };
	my $dir = sub { (('', ' DESC', ' NULLS FIRST', ' DESC NULLS LAST')[ $rng->(4) ]) };
	my @shapes = (
		[ project => 6 ], [ where => 6 ], [ order => 5 ], [ distinct => 4 ], [ aggregate => 5 ], [ group => 4 ],
		[ window => 3 ], [ join => 3 ], [ subquery => 3 ], [ union => 2 ], [ constant => 5 ], [ tlp => 4 ], [ norec => 3 ],
		[ limit => 2 ], [ having => 2 ],
	);
	my $total = 0;
	$total += $_->[1] for @shapes;
	my $r = $rng->($total);
	my $shape;
	for (@shapes) { $r -= $_->[1]; if ($r < 0) { $shape = $_->[0]; last; } }
	$shape = 'project' if !$orderable{$t} && $shape =~ /^(order|distinct|group|window|union|limit|having)$/;

	if ($shape eq 'project')
	{
		return { shape => $shape, oracle => 'diff', ordered => 1, trees => [ $e->() ],
			build => sub { "SELECT id, " . render($_[0]) . " FROM $T ORDER BY id" } };
	}
	if ($shape eq 'where')
	{
		return { shape => $shape, oracle => 'diff', ordered => 1, trees => [ $p->() ],
			build => sub { "SELECT id FROM $T WHERE " . render($_[0]) . " ORDER BY id" } };
	}
	if ($shape eq 'order')
	{
		my $d = $dir->();
		return { shape => $shape, oracle => 'diff', ordered => 1, trees => [ $e->() ],
			build => sub { "SELECT " . render($_[0]) . " AS v FROM $T ORDER BY v$d, id" } };
	}
	if ($shape eq 'limit')
	{
		my $d = $dir->();
		my ($l, $o) = (1 + $rng->(6), $rng->(5));
		return { shape => $shape, oracle => 'diff', ordered => 1, trees => [ $e->() ],
			build => sub { "SELECT id, " . render($_[0]) . " FROM $T ORDER BY 2$d, 1 LIMIT $l OFFSET $o" } };
	}
	if ($shape eq 'distinct')
	{
		my $ord = $rng->(2);
		my $d = $dir->();
		return { shape => $shape, oracle => 'diff', ordered => $ord, trees => [ $e->() ],
			build => sub { "SELECT DISTINCT " . render($_[0]) . " FROM $T" . ($ord ? " ORDER BY 1$d" : '') } };
	}
	if ($shape eq 'aggregate')
	{
		my @a = @{ $aggs{$t} // ['count'] };
		my $a1 = $a[ $rng->(scalar @a) ];
		my $a2 = $a[ $rng->(scalar @a) ];
		my $dis = $rng->(4) == 0 ? 'DISTINCT ' : '';
		return { shape => $shape, oracle => 'diff', ordered => 1, trees => [ $e->(), $p->() ],
			build => sub {
				my $v = render($_[0]);
				"SELECT count(*), $a1($dis$v), $a2($v) FROM $T WHERE " . render($_[1]);
			} };
	}
	if ($shape eq 'group')
	{
		my @a = @{ $aggs{int} };
		my $a = $a[ $rng->(scalar @a) ];
		return { shape => $shape, oracle => 'diff', ordered => 1, trees => [ $e->() ],
			build => sub { "SELECT " . render($_[0]) . " AS g, count(*), $a(id) FROM $T GROUP BY 1 ORDER BY 1" } };
	}
	if ($shape eq 'having')
	{
		return { shape => $shape, oracle => 'diff', ordered => 0, trees => [ $e->(), $p->() ],
			build => sub {
				"SELECT " . render($_[0]) . " AS g, count(*) FROM $T WHERE " . render($_[1]) . " GROUP BY 1 HAVING count(*) > 1";
			} };
	}
	if ($shape eq 'window')
	{
		my @w = (
			sub { "row_number() OVER (ORDER BY $_[0], id)" }, sub { "rank() OVER (ORDER BY $_[0])" },
			sub { "count(*) OVER (PARTITION BY $_[0])" }, sub { "dense_rank() OVER (ORDER BY $_[0] DESC)" },
			sub { "sum(id) OVER (PARTITION BY $_[0] ORDER BY id)" }, sub { "lag(id) OVER (ORDER BY $_[0], id)" },
		);
		my $w = $w[ $rng->(scalar @w) ];
		return { shape => $shape, oracle => 'diff', ordered => 1, trees => [ $e->() ],
			build => sub { "SELECT id, " . $w->(render($_[0])) . " FROM $T ORDER BY id" } };
	}
	if ($shape eq 'join')
	{
		my $kind = ('JOIN', 'LEFT JOIN', 'FULL JOIN')[ $rng->(3) ];
		if ($rng->(2))
		{
			return { shape => $shape, oracle => 'diff', ordered => 1, trees => [ $e->(), $e->() ],
				build => sub {
					"SELECT x.id, y.id FROM $T x $kind $T y ON " . render($_[0], 'x.') . ' = ' . render($_[1], 'y.')
					  . ' ORDER BY 1, 2';
				} };
		}
		return { shape => $shape, oracle => 'diff', ordered => 1, trees => [ $p->(), $e->() ],
			build => sub {
				"SELECT x.id, " . render($_[1], 'y.') . " FROM $T x $kind $T y ON x.id = y.id AND " . render($_[0], 'y.')
				  . ' ORDER BY 1, 2';
			} };
	}
	if ($shape eq 'subquery')
	{
		my $form = $rng->(3);
		if ($form == 0)
		{
			return { shape => $shape, oracle => 'diff', ordered => 1, trees => [ $e->(), $e->(), $p->() ],
				build => sub {
					"SELECT id FROM $T o WHERE " . render($_[0], 'o.') . " IN (SELECT " . render($_[1], 'i.') . " FROM $T i WHERE "
					  . render($_[2], 'i.') . ') ORDER BY id';
				} };
		}
		if ($form == 1)
		{
			return { shape => $shape, oracle => 'diff', ordered => 1, trees => [ $p->() ],
				build => sub {
					"SELECT id FROM $T o WHERE EXISTS (SELECT 1 FROM $T i WHERE i.id = o.id + 1 AND " . render($_[0], 'i.')
					  . ') ORDER BY id';
				} };
		}
		return { shape => $shape, oracle => 'diff', ordered => 0, trees => [ $e->(), $p->() ],
			build => sub {
				"SELECT count(*), count(v) FROM (SELECT " . render($_[0]) . " AS v FROM $T WHERE " . render($_[1]) . ') s';
			} };
	}
	if ($shape eq 'union')
	{
		my $all = $rng->(2) ? ' ALL' : '';
		return { shape => $shape, oracle => 'diff', ordered => 1, trees => [ $e->(), $e->() ],
			build => sub {
				"SELECT " . render($_[0]) . " AS v FROM $T UNION$all SELECT " . render($_[1]) . " FROM $T ORDER BY 1";
			} };
	}
	if ($shape eq 'constant')
	{
		return { shape => $shape, oracle => 'diff', ordered => 1, trees => [ gen_expr($rng, $t, $depth + 1, undef) ],
			build => sub { "SELECT " . render($_[0]) } };
	}
	# tlp, norec: the predicate only; the runner builds the statements
	return { shape => $shape, oracle => $shape, ordered => 1, table => $T, trees => [ $p->() ],
		build => sub { render($_[0]) } };
}

# The statements of the TLP and NoREC oracles for predicate $pred over $T.
sub tlp_statements
{
	my ($T, $pred) = @_;
	return ("SELECT count(*) FROM $T", "SELECT count(*) FROM $T WHERE $pred", "SELECT count(*) FROM $T WHERE NOT ($pred)",
		"SELECT count(*) FROM $T WHERE ($pred) IS NULL");
}

sub norec_statements
{
	my ($T, $pred) = @_;
	return ("SELECT count(*) FROM $T WHERE $pred", "SELECT sum(CASE WHEN $pred THEN 1 ELSE 0 END) FROM $T");
}

1;
