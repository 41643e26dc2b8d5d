# The HTTP SQL API: POST /sql/query and /sql/exec through the router's
# planner and shards answer the same rows as psql for a corpus of queries
# (key lookups, scatters with a final step, aggregates, NULLs, booleans,
# numerics, json), bind $1..$n from "params", report errors with their
# SQLSTATE and an HTTP status that fits, and refuse requests without a
# user's credentials with 401.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use DoSQL::Test::Cluster;
use DoSQL::Test::Deps qw(require_dependency program_missing);
use DoSQL::Test::Utils qw(free_port run_command);

require_dependency(program_missing([ 'curl', '--version' ], 'curl'));

my $http_port = free_port();
my $c = DoSQL::Test::Cluster->new('httpsql',
	shards => 4,
	auth => 'scram-sha-256',
	tables => { acc => { column_vindexes => [ { column => 'id', name => 'hash' } ] } },
	router_config => { http => { host => '127.0.0.1', port => $http_port + 0 } });
$c->start;
my $router = $c->router;

sub http
{
	my ($path, $body, $cred) = @_;
	my @argv = ('curl', '-s', '-S', '-m', '60', '-o', '-', '-w', '\n%{http_code}', '-X', 'POST',
		'-H', 'Content-Type: application/json', '--data-binary', $body);
	push @argv, '-u', $cred if defined $cred;
	my ($rc, $out, $err) = run_command([ @argv, "http://127.0.0.1:$http_port$path" ]);
	die "curl failed ($rc): $err" if $rc != 0;
	my ($b, $code) = $out =~ /\A(.*)\n(\d{3})\z/s or die "curl output: $out";
	return ($code, (eval { decode_json($b) } // { raw => $b }));
}
sub query { my ($sql, @params) = @_; return http('/sql/query', encode_json({ sql => $sql, params => \@params }), 'dosql:dosql'); }

$router->safe_psql('create table acc (id int primary key, name text, bal numeric(10,2), active boolean, meta jsonb, score float8)');
my ($code, $r) = http('/sql/exec', encode_json({ sql => 'insert into acc (id, name, bal, active, meta, score) values '
		  . join(', ', map { "($_, " . ($_ % 7 ? "'n$_'" : 'NULL') . ", $_.25, " . ($_ % 2 ? 'true' : 'false')
			  . ", '{\"k\": $_, \"l\": [1, \"x\"]}', " . ($_ / 4) . ")" } 1 .. 40) }), 'dosql:dosql');
is($code, 200, '/sql/exec: an INSERT over every shard');
is_deeply($r, { rowCount => 40, command => 'INSERT' }, 'its count and command');
($code, $r) = http('/sql/exec', encode_json({ sql => 'update acc set bal = bal + $1 where id = $2', params => [ 1, 3 ] }),
	'dosql:dosql');
is_deeply($r, { rowCount => 1, command => 'UPDATE' }, '/sql/exec: an UPDATE by key with parameters');

# the corpus: each query's rows from HTTP, as psql prints them, equal psql's
my @corpus = (
	'select id, name, bal, active from acc order by id',
	'select id, name from acc where id = 3',
	'select name from acc where id in (1, 5, 9, 33) order by name',
	'select count(*), sum(bal), min(id), max(id), avg(id) from acc',
	'select active, count(*), sum(bal) from acc group by active order by active',
	'select id, bal from acc order by bal desc, id limit 5 offset 2',
	'select count(name), count(*) from acc where name is null or id < 10',
	'select distinct active from acc order by 1',
	'select id, score from acc where id <= 8 order by id',
	'select id from acc where bal > (select avg(bal) from acc) order by id',
	'select id, meta->>\'k\' from acc where id < 4 order by id',
	'select 1 + 1 as two, \'x\' || \'y\' as xy, null::int as nothing, true as yes',
	'select id from acc where active and id % 3 = 0 order by id',
);
sub as_psql
{
	my ($v) = @_;
	return '' unless defined $v;
	return $v ? 't' : 'f' if JSON::PP::is_bool($v);
	return encode_json($v) if ref $v;
	return "$v";
}
for my $sql (@corpus) {
	($code, $r) = query($sql);
	my $got = join "\n", map { join '|', map { as_psql($_) } @$_ } @{ $r->{rows} // [] };
	is($got, $router->safe_psql($sql), "the same rows as psql: $sql") or diag(encode_json($r));
}
($code, $r) = query('select id, name, bal, active, meta, score from acc where id = $1', 14);
is($code, 200, 'a query with a parameter');
is_deeply($r->{columns}, [ map { { name => $_->[0], type => $_->[1] } } [ id => 'int4' ], [ name => 'text' ],
		[ bal => 'numeric' ], [ active => 'bool' ], [ meta => 'jsonb' ], [ score => 'float8' ] ],
	'column names and types');
is_deeply($r->{rows}, [ [ 14, undef, '14.25', JSON::PP::false, { k => 14, l => [ 1, 'x' ] }, 3.5 ] ],
	'values as JSON: integers, NULL, numeric as its text, booleans, json, floats');
is($r->{rowCount}, 1, 'rowCount');
($code, $r) = query('select $1::text || $2::text as s, $3::int + 1 as n, $4::text is null as isnull', 'a', 'b', 41, undef);
is_deeply($r->{rows}, [ [ 'ab', 42, JSON::PP::true ] ], 'string, number and null parameters');

# errors
($code, $r) = query('selec 1');
is($code, 400, 'a syntax error: 400');
is($r->{error}{code}, '42601', 'with its SQLSTATE');
like($r->{error}{message}, qr/syntax error at or near "selec"/, 'and its message');
($code, $r) = http('/sql/exec', encode_json({ sql => 'insert into acc (id) values (1)' }), 'dosql:dosql');
is($code, 409, 'a unique violation: 409');
is($r->{error}{code}, '23505', 'SQLSTATE 23505');
($code, $r) = http('/sql/query', '{"sql": 5}', 'dosql:dosql');
is($code, 400, 'a bad body: 400');
($code, $r) = http('/sql/query', encode_json({ sql => 'select 1' }));
is($code, 401, 'no credentials: 401');
($code, $r) = http('/sql/query', encode_json({ sql => 'select 1' }), 'dosql:wrong');
is($code, 401, 'a wrong password: 401');
is($r->{error}{code}, '28000', 'SQLSTATE 28000');
($code, $r) = http('/sql/query', encode_json({ sql => 'select 1' }), 'nobody:dosql');
is($code, 401, 'an unknown user: 401');

done_testing();
