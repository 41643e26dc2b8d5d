# COPY FROM STDIN through the router: rows in text and CSV go to the shard
# their vindex value belongs to (every shard for a reference table), all in
# one transaction; a bad row, CopyFail or ROLLBACK leaves nothing anywhere.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::Wire ();

my $c = DoSQL::Test::Cluster->new('cp',
	shards => 4,
	tables => {
		items => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		colors => { type => 'reference' },
	});
$c->start;
my $router = $c->router;
my @shards = $c->shards;
$router->safe_psql('create table items (id int primary key, name text, price numeric(8,2), note text)');
$router->safe_psql('create table colors (code text primary key, label text)');

sub copy_in
{
	my ($sql, $data) = @_;
	return $router->psql(undef, stdin => $data, extra_params => [ '-c', $sql ],
		flags => [ '-X', '-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=verbose' ]);
}
sub count_on_shards { my ($sql) = @_; return join(',', map { $_->safe_psql($sql) } @shards); }

# text format: tabs, \N, escapes
my $rows = join('', map { "$_\titem $_\t" . ($_ * 1.5) . "\t" . ($_ % 3 ? "plain" : "\\N") . "\n" } 1 .. 40)
  . "41\ttab\\there\t1\tline\\nbreak\n";
my ($rc, $out, $err) = copy_in('copy items from stdin', $rows);
is($out, 'COPY 41', 'COPY FROM STDIN through the router counts every row') or diag($err);
is($router->safe_psql('select count(*), sum(price) from items'), '41|1231.00', 'every row arrived once');
my @per_shard = split /,/, count_on_shards('select count(*) from items');
is(scalar(grep { $_ > 0 } @per_shard), 4, "the rows are spread over the shards (@per_shard)");
is(join(',', map { $router->safe_psql("select count(*) from items where id = $_") } 1 .. 41), join(',', ('1') x 41),
	'each row is on the shard its key routes to');
is($router->safe_psql('select name, note from items where id = 41'), "tab\there|line\nbreak", 'escapes are decoded by the shard');
is($router->safe_psql('select count(*) from items where note is null'), '13', '\N is NULL');

# CSV with a header, quotes, delimiters and newlines inside quotes, a column list
($rc, $out, $err) = copy_in('copy items (name, id, note) from stdin with (format csv, header true)',
	qq{name,id,note\n"a, b",100,"say ""hi"""\n"two\nlines",101,\nplain,102,""\n});
is($out, 'COPY 3', 'COPY in CSV with a header and a column list') or diag($err);
is($router->safe_psql(q{select name || '/' || coalesce(note, 'NULL') from items where id = 100}), 'a, b/say "hi"',
	'quoted delimiters and quotes');
is($router->safe_psql(q{select name || '/' || coalesce(note, 'NULL') from items where id = 101}), "two\nlines/NULL",
	'a newline inside quotes stays in its row; an empty unquoted field is NULL');
is($router->safe_psql(q{select coalesce(note, 'NULL') from items where id = 102}), '', 'a quoted empty field is empty');

# a reference table: every shard gets every row, counted once
($rc, $out, $err) = copy_in('copy colors from stdin', "red\tRed\ngreen\tGreen\n");
is($out, 'COPY 2', 'COPY into a reference table counts its rows once') or diag($err);
is(count_on_shards('select count(*) from colors'), '2,2,2,2', 'and every shard has them');

# nothing of a COPY that fails anywhere
my $before = $router->safe_psql('select count(*) from items');
($rc, $out, $err) = copy_in('copy items from stdin', "200\tok\t1\tx\n201\tbad\tnot a number\tx\n202\tok\t1\tx\n");
like($err, qr/ERROR:  22P02: invalid input syntax for type numeric/, 'a bad row fails the COPY with the shard\'s error');
like($err, qr/CONTEXT:  COPY items, line 2\b/, '... naming the client\'s line');
($rc, $out, $err) = copy_in('copy items from stdin', join('', map { "$_\tok\t1\tx\n" } 600 .. 640) . "641\tbad\tNaN?\tx\n");
like($err, qr/CONTEXT:  COPY items, line 42\b/, 'the line of a bad row after 41 good ones, whichever shard it went to');
is($router->safe_psql('select count(*) from items'), $before, 'and no row of it is anywhere');
($rc, $out, $err) = copy_in('copy items from stdin', "300\tnull key\t1\tx\n\\N\tx\t1\tx\n");
like($err, qr/ERROR:  23502: null value in column "id"/, 'a NULL vindex value: 23502');
($rc, $out, $err) = copy_in('copy items (name) from stdin', "x\n");
like($err, qr/ERROR:  0A000: COPY into the sharded table "items" must give its vindex column "id"/,
	'a COPY without the vindex column: 0A000');
($rc, $out, $err) = $router->psql("begin;\ncopy items from stdin;\n400\ta\t1\tx\n401\tb\t2\tx\n\\.\nrollback;\n",
	flags => [ '-X', '-v', 'ON_ERROR_STOP=1' ]);
is($out, "BEGIN\nCOPY 2\nROLLBACK", 'COPY inside a transaction block') or diag($err);
is($router->safe_psql('select count(*) from items'), $before, 'rolled back with it');

# CopyFail from the client
my $w = DoSQL::Test::Wire::session($router);
DoSQL::Test::Wire::send_bytes($w, DoSQL::Test::Wire::msg('Q', "copy items from stdin\0"));
my $r = DoSQL::Test::Wire::read_reply($w, until => 'G');
is(DoSQL::Test::Wire::types($r), 'G', 'CopyInResponse');
DoSQL::Test::Wire::send_bytes($w, DoSQL::Test::Wire::msg('d', "500\tx\t1\tx\n") . DoSQL::Test::Wire::msg('f', "client gave up\0"));
$r = DoSQL::Test::Wire::read_reply($w, until => 'Z');
my $e = DoSQL::Test::Wire::first_error($r);
is($e->{C} . ': ' . $e->{M}, '57014: COPY from stdin failed: client gave up', 'CopyFail: 57014 as in PostgreSQL');
is(DoSQL::Test::Wire::query_value($w, 'select count(*) from items where id = 500'), '0', 'and the session goes on, without the rows');
close $w;
is(count_on_shards('select count(*) from pg_prepared_xacts'), '0,0,0,0', 'no prepared transaction is left');

$c->stop;
done_testing();
