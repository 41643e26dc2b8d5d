# The randomized differential tester (tools/sqlfuzz) in a short fixed-seed
# run: PostgreSQL 15, one dosql-shard and a router over two shards get the
# tables of edge values of every type family, then the same generated
# statements (SQLFUZZ_ROUNDS per family, seed SQLFUZZ_SEED).  No process of
# DoSQL may crash or report a sanitizer error, and every difference from
# PostgreSQL other than a refusal (0A000, 42883) must be one of the known
# differences of tools/sqlfuzz/known-differences.txt, each of which must
# still be a difference: the list only shrinks as DoSQL is fixed
# (tools/sqlfuzz/sqlfuzz --write-known rewrites it after a fix).
use strict;
use warnings;
use utf8;
use lib 't/lib', 'tools/sqlfuzz';
use Test::More;
use DoSQL::Test::Oracle;
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

BEGIN
{
	require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl'));
}
require_dependency(DoSQL::Test::Oracle::unavailable());

binmode(Test::More->builder->$_, ':encoding(UTF-8)') for qw(output failure_output todo_output);
require SqlFuzz::Runner;
require SqlFuzz::Servers;

my $seed = $ENV{SQLFUZZ_SEED} // 51;
my $rounds = $ENV{SQLFUZZ_ROUNDS} // 150;
my $known_file = 'tools/sqlfuzz/known-differences.txt';
my $known = SqlFuzz::Runner::read_known($known_file);
cmp_ok(scalar(keys %$known), '>', 0, "$known_file lists the known differences");

my $servers = SqlFuzz::Servers->start;
my $run = SqlFuzz::Runner->new(
	postgres => $servers->{dbh}{postgres},
	targets => { shard => $servers->{dbh}{shard}, router => $servers->{dbh}{router} },
	known => $known,
	order_free => ['router'],
	alive => sub { $servers->alive($_[0]) },
	reconnect => sub { $servers->restart($_[0]) });

# every server takes the same rows, or the rejection is a known difference
$run->setup;
my %setup = map { $_ => 1 } $run->setup_lines;
ok($known->{$_}, "a row rejected at set-up is a known difference: $_") for sort keys %setup;

my $n = $run->fuzz(seed => $seed, queries => $rounds);
is($n, $rounds, "$rounds rounds of statements of every family (seed $seed)");
note($run->summary);
my @diffs = $run->differences;
my @crashes = grep { $_->{kind} eq 'crash' } @diffs;
is(scalar(@crashes), 0, 'no statement lost a connection or a process')
  or diag(join("\n", map { "$_->{target}: $_->{original}" } @crashes));
my @new = $run->new_lines;
is(scalar(@new), 0, 'every difference from PostgreSQL is a refusal or a known difference')
  or diag("new differences (minimized; add them to $known_file):\n" . join("\n", @new));

# each known difference still differs (on the shard or through the router)
for my $line (sort keys %$known)
{
	if ($line =~ /^setup\t/)
	{
		ok($setup{$line}, "still rejected at set-up: $line");
		next;
	}
	my $still = $run->check_line($line);
	ok(%$still, "still a difference: $line");
}

for my $node ($servers->nodes('shard'), $servers->nodes('router'))
{
	ok($node->is_running, 'still running: ' . $node->name);
	is($node->sanitizer_report, '', 'no sanitizer report in the log of ' . $node->name);
}
done_testing();
