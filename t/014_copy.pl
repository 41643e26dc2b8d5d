# COPY FROM STDIN and COPY TO STDOUT on a dosql-shard: text format escapes and
# NULLs, CSV quoting and HEADER, binary format both ways, defaults for columns
# left out, errors reported with their line, and nothing half-loaded.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Wire;

my $node = DoSQL::Test::ServerNode->new_shard('copy');
$node->start;
$node->safe_psql(q{create table c (id int primary key, t text, n numeric(8,2), b boolean, ts timestamp,
	note varchar(10) default 'dflt')});

# text format: tab separated, \N is NULL, backslash escapes
my $text = "1\thello\t1.5\tt\t2020-01-02 03:04:05\tx\n"
  . "2\ttab\\there\\nnewline\t\\N\tf\t\\N\t\\N\n"
  . "3\tback\\\\slash\t-2\ttrue\t2021-12-31 23:59:59.5\ty\n";
my ($rc, $out, $err) = $node->psql('copy c from stdin', stdin => $text, flags => [ '-X', '-q', '-v', 'ON_ERROR_STOP=1' ]);
is($rc, 0, 'COPY FROM STDIN text') or diag($err);
is($node->safe_psql(q{select id, t, n, b, ts, note is null from c order by id}),
	"1|hello|1.50|t|2020-01-02 03:04:05|f\n2|tab\there\nnewline||f||t\n3|back\\slash|-2.00|t|2021-12-31 23:59:59.5|f",
	'text escapes, \N and typed values');

# COPY TO STDOUT gives the same text back
($rc, $out, $err) = $node->psql('copy c (id, t, n, b, ts, note) to stdout', flags => [ '-X', '-q' ]);
my $normalized = $text =~ s/\t1\.5\t/\t1.50\t/r =~ s/\t-2\ttrue\t/\t-2.00\tt\t/r;
is("$out\n", $normalized, 'COPY TO STDOUT gives the rows back in the text format');

# columns left out get their defaults
($rc, $out, $err) = $node->psql('copy c (id, t) from stdin', stdin => "4\tfour\n", flags => [ '-X', '-q' ]);
is($node->safe_psql('select note from c where id = 4'), 'dflt', 'a column left out gets its default');

# CSV with HEADER and quoting
my $csv = qq{id,t,n,b,ts,note\n5,"a, ""quoted"" one",3.25,false,,\n6,"multi\nline",,true,2022-01-01 00:00:00,""\n};
($rc, $out, $err) = $node->psql(q{copy c from stdin with (format csv, header true)}, stdin => $csv, flags => [ '-X', '-q' ]);
is($rc, 0, 'COPY FROM STDIN CSV with HEADER') or diag($err);
is($node->safe_psql(q{select t from c where id = 5}), 'a, "quoted" one', 'CSV quotes and doubled quotes');
is($node->safe_psql(q{select t, note = '', ts is null from c where id in (5, 6) order by id}), "a, \"quoted\" one||t\nmulti\nline|t|f",
	'newline inside a quoted CSV field; "" is an empty string, an empty field is NULL');
($rc, $out, $err) = $node->psql(q{copy (select id, t from c where id in (5, 6) order by id) to stdout with (format csv, header)},
	flags => [ '-X', '-q' ]);
is($out, qq{id,t\n5,"a, ""quoted"" one"\n6,"multi\nline"}, 'COPY (query) TO STDOUT CSV with HEADER');

# a bad value: the error names the line, nothing of the COPY stays
my $before = $node->safe_psql('select count(*) from c');
($rc, $out, $err) = $node->psql('copy c (id, t) from stdin', stdin => "10\tten\n11\televen\nx\ttwelve\n",
	flags => [ '-X', '-q' ]);
like($err, qr/ERROR:  invalid input syntax for type integer: "x"/, 'bad value: PostgreSQL\'s message');
like($err, qr/CONTEXT:  COPY c, line 3/, 'the error names the line');
is($node->safe_psql('select count(*) from c'), $before, 'nothing of a failed COPY is loaded');
($rc, $out, $err) = $node->psql('copy c (id, t) from stdin', stdin => "20\ttwenty\n1\tdup\n", flags => [ '-X', '-q' ]);
like($err, qr/duplicate key value violates unique constraint "c_pkey"/, 'a duplicate key fails the COPY');
is($node->safe_psql('select count(*) from c where id = 20'), '0', 'and the rows before it are gone too');
($rc, $out, $err) = $node->psql('copy c (id, t) from stdin', stdin => "30\tthirty\textra\n", flags => [ '-X', '-q' ]);
like($err, qr/extra data after last expected column/, 'too many fields');

# binary format, on the wire: write rows, read them back byte for byte
my $s = session($node);
send_bytes($s, msg('Q', "copy c (id, t, n) from stdin (format binary)\0"));
my $r = read_reply($s, until => 1);
is(types($r), 'G', 'CopyInResponse');
is(unpack('C', (messages_of($r, 'G'))[0][1]), 1, 'binary format announced');
my $sig = "PGCOPY\n\xff\r\n\0" . pack('NN', 0, 0);
my $row = sub {
	my ($id, $t) = @_;
	my $bin = pack('n', 3) . pack('N', 4) . pack('N', $id) . pack('N', length $t) . $t . pack('N', 0xFFFFFFFF);
	return $bin;
};
send_bytes($s, msg('d', $sig . $row->(100, 'bin one')) . msg('d', $row->(101, "bin\ttwo") . pack('n', 0xFFFF))
	  . msg('c'));
$r = read_reply($s, until => 'Z');
is((messages_of($r, 'C'))[0][1], "COPY 2\0", 'binary COPY FROM loaded 2 rows') or diag(first_error($r)->{M});
is($node->safe_psql(q{select id, t, n is null from c where id >= 100 order by id}), "100|bin one|t\n101|bin\ttwo|t",
	'binary rows stored');
send_bytes($s, msg('Q', "copy (select id, t, n from c where id >= 100 order by id) to stdout (format binary)\0"));
$r = read_reply($s, until => 'Z');
is(types($r), 'HdddcCZ', 'CopyOutResponse, header+rows+trailer CopyData, CopyDone, CommandComplete');
my $data = join '', map { $_->[1] } messages_of($r, 'd');
is($data, $sig . $row->(100, 'bin one') . $row->(101, "bin\ttwo") . pack('n', 0xFFFF),
	'COPY TO binary gives back the same bytes');

# COPY inside a transaction block: rolled back with it
($rc, $out, $err) = $node->psql("begin;\ncopy c (id, t) from stdin;\n200\tin txn\n\\.\nrollback;", flags => [ '-X', '-q' ]);
is($node->safe_psql('select count(*) from c where id = 200'), '0', 'COPY in a rolled-back block leaves nothing');

done_testing();
