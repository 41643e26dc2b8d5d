# COPY ... TO STDOUT through the router: the data of every shard holding the
# table's rows (one shard for a reference table or a keyed query) as one
# stream, in text, CSV with one HEADER line and binary (one signature, one
# trailer), compared with a PostgreSQL 15 holding the same rows; binary data
# from the router loads into PostgreSQL as it is.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency);
use DoSQL::Test::Oracle;
use DoSQL::Test::Wire ();

require_dependency(DoSQL::Test::Oracle::unavailable());

my $pg = DoSQL::Test::Oracle->start;
my $c = DoSQL::Test::Cluster->new('cpo',
	shards => 4,
	tables => {
		items => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		colors => { type => 'reference' },
	});
$c->start;
my $router = $c->router;

my @schema = (
	'create table items (id int primary key, name text, price numeric(8,2), note text, tags text[], seen timestamp)',
	'create table colors (code text primary key, label text)',
);
my @rows = map {
	my $note = $_ % 7 == 0 ? 'NULL' : $_ % 5 == 0 ? q{E'tab\there, back\\\\slash'} : q{'line ' || } . $_;
	"($_, 'item $_ ünïcode', " . ($_ * 1.25) . ", $note, '{a,\"b c\"}', '2026-11-23 " . sprintf('%02d:%02d', 10 + int($_ / 60), $_ % 60) . ":00')"
} 1 .. 120;
my @data = (
	'insert into items (id, name, price, note, tags, seen) values ' . join(', ', @rows),
	q{insert into colors (code, label) values ('r', 'red'), ('g', 'green'), ('b', 'blue, "quoted"')},
);
for my $sql (@schema, @data)
{
	$router->safe_psql($sql);
	$pg->safe_psql($sql);
}

sub sorted { my ($s) = @_; return join("\n", sort split /\n/, $s); }

# text: every row once, as PostgreSQL writes it
my $want = $pg->safe_psql('copy items to stdout');
is(sorted($router->safe_psql('copy items to stdout')), sorted($want), 'COPY TO STDOUT: every shard\'s rows, as PostgreSQL writes them');
is(scalar(() = $want =~ /\n/g) + 1, 120, '120 rows');
is(sorted($router->safe_psql('copy items (id, note) to stdout')), sorted($pg->safe_psql('copy items (id, note) to stdout')),
	'a column list');

# CSV with HEADER: the header once, first
my $csv = $router->safe_psql('copy items to stdout with (format csv, header)');
my ($head, @body) = split /\n/, $csv;
my ($want_head, @want_body) = split /\n/, $pg->safe_psql('copy items to stdout with (format csv, header)');
is($head, $want_head, 'CSV HEADER: the header line first');
is(scalar(grep { $_ eq $want_head } @body), 0, '... and only once');
is(join("\n", sort @body), join("\n", sort @want_body), 'CSV rows as PostgreSQL writes them');

# binary: one signature and one trailer; PostgreSQL loads it as it is
my $file = $c->basedir . '/items.bin';
my ($rc, $out, $err) = $router->psql("\\copy items to '$file' (format binary)", flags => [ '-X', '-q', '-v', 'ON_ERROR_STOP=1' ]);
is($rc, 0, 'binary COPY TO through the router') or diag($err);
open(my $fh, '<:raw', $file) or die "$file: $!";
my $bin = do { local $/; <$fh> };
close $fh;
is(substr($bin, 0, 11), "PGCOPY\n\xff\r\n\0", 'the binary signature first');
is(scalar(() = $bin =~ /PGCOPY\n\xff\r\n\0/g), 1, '... once');
is(substr($bin, -2), "\xff\xff", 'the trailer last');
$pg->safe_psql('create table items_bin (like items)');
$pg->safe_psql("\\copy items_bin from '$file' (format binary)");
is($pg->safe_psql('select * from items_bin order by id'), $pg->safe_psql('select * from items order by id'),
	'PostgreSQL loads the router\'s binary COPY and holds the same rows');

# one shard: a reference table, a keyed query
is(sorted($router->safe_psql('copy colors to stdout')), sorted($pg->safe_psql('copy colors to stdout')),
	'a reference table\'s rows once');
is($router->safe_psql('copy (select id, name from items where id = 42) to stdout'),
	$pg->safe_psql('copy (select id, name from items where id = 42) to stdout'), 'COPY (a keyed query) TO STDOUT');
is(sorted($router->safe_psql('copy (select id, price from items where price > 100) to stdout with csv')),
	sorted($pg->safe_psql('copy (select id, price from items where price > 100) to stdout with csv')),
	'COPY (a query over every shard) TO STDOUT');

# the protocol: one CopyOutResponse, the data, CopyDone, COPY n
my $w = DoSQL::Test::Wire::session($router);
DoSQL::Test::Wire::send_bytes($w, DoSQL::Test::Wire::msg('Q', "copy items to stdout\0"));
my $r = DoSQL::Test::Wire::read_reply($w, until => 'Z');
like(DoSQL::Test::Wire::types($r), qr/^Hd{120}cCZ$/, 'CopyOutResponse, 120 CopyData, CopyDone, CommandComplete');
my ($tag) = DoSQL::Test::Wire::messages_of($r, 'C');
is($tag->[1], "COPY 120\0", 'the tag counts every shard\'s rows');
close $w;

# a query with its final step in the router: its rows written as COPY
# data by the router, exactly as PostgreSQL writes them
for my $sql ('copy (select id, note from items order by id desc limit 7) to stdout',
	'copy (select id, note, name, tags from items order by note nulls first, id limit 12) to stdout with (format csv, header)',
	q{copy (select count(*), sum(price), max(note), min(seen) from items) to stdout with (format csv, header, delimiter ';')},
	'copy (select id % 5 as k, count(*), max(note) from items group by 1 order by 1) to stdout',
	'copy (select count(*) from (select id from items where id > 100) s) to stdout')
{
	is($router->safe_psql($sql), $pg->safe_psql($sql), "with a final step in the router: $sql");
}

# what is refused: binary with a final step, a file on the server
for my $case (
	[ 'copy (select id from items order by id limit 3) to stdout (format binary)', qr/0A000: COPY \(query\) TO STDOUT in binary format/ ],
	[ q{copy items to '/tmp/x'}, qr/0A000: COPY TO a file or program through the router is not supported/ ],
  )
{
	($rc, $out, $err) = $router->psql($case->[0], flags => [ '-X', '-q', '-v', 'VERBOSITY=verbose' ]);
	like($err, $case->[1], "refused: $case->[0]");
}
is($router->safe_psql('select count(*) from items'), '120', 'the session goes on');

$c->stop;
$pg->stop;
done_testing();
