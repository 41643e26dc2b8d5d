# The first shard's catalog is asked on the router's loop, never with the
# loop waiting.  While the first shard is stopped (SIGSTOP), a statement
# that needs a fact of its catalog the router has not learned waits alone:
# an ORDER BY expression whose type is asked (a new expression type), an
# INSERT ... SELECT whose table's sequence columns are asked, a COPY into a
# table not copied into before, a nextval() whose sequence has no block of
# values reserved yet, a placement call (dosql_shard_table) whose
# table's rows are counted on every shard.  The router meanwhile serves another
# session on the other shard; after SIGCONT each waiting statement
# completes with PostgreSQL's answer (the same statements on PostgreSQL).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IPC::Run;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency);
use DoSQL::Test::Oracle;
use DoSQL::Test::Utils qw(poll_until);

require_dependency(DoSQL::Test::Oracle::unavailable());

my $oracle = DoSQL::Test::Oracle->start;
my $c = DoSQL::Test::Cluster->new('metaasync',
	shards => 2,
	tables => {
		kv => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		sq => { column_vindexes => [ { column => 'v', name => 'hash' } ] },
		cp => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
$c->start;
my $router = $c->router;
my @shards = $c->shards;
my @flags = ('-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1');

# sql on the router and on PostgreSQL: both must succeed
sub both
{
	my ($sql) = @_;
	$router->safe_psql($sql);
	my ($rc, $out, $err) = $oracle->psql($sql, flags => \@flags);
	die "PostgreSQL: $err" if $rc;
}
both('create table kv (id int primary key, v text)');
both('insert into kv (id, v) values ' . join(', ', map { "($_, '" . ('x' x ($_ % 7)) . "v$_')" } 1 .. 40));
both('create table sq (n serial, v text primary key)');
both('create table cp (id int primary key, v text)');
both('create sequence s9 start 5');
my $other = $shards[1]->safe_psql('select min(id) from kv');
ok($other, 'the second shard holds a row');
# every table's columns are learned: only the facts under test are asked later
is($router->safe_psql("select v from kv where id = $other"), 'x' x ($other % 7) . "v$other", 'a keyed read');
$router->safe_psql('select count(*) from sq');
$router->safe_psql('select count(*) from cp');

# the texts the router parsed and the statements it planned: one more
# once it has taken a statement
sub misses
{
	my ($rc, $o) = $router->psql('show plan_cache', timeout => 10, timed_out => \my $to);
	my @f = split /\|/, $o;
	return $to || $rc != 0 ? undef : $f[2] + $f[4];
}

my $psql = "$DoSQL::Test::ServerNode::pg_bindir/psql";

# Start sql (stdin: COPY's data) on the router while the first shard is
# stopped; the router must answer another session on the other shard
# while sql waits, and sql must complete with PostgreSQL's answer (or
# $expect's) once the shard goes on.
sub while_stopped
{
	my ($what, $sql, $stdin, $expect) = @_;
	$router->safe_psql("select v from kv where id = $other"); # its columns learned again after DDL
	my $before = misses();
	kill 'STOP', $shards[0]->pid;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start([ $psql, @flags, '-d', $router->connstr, '-c', $sql ], '<', \($stdin // ''), '>', \$out,
		'2>', \$err);
	ok(poll_until(sub { my $m = misses(); defined $m && $m > $before }), "$what: the router took the statement");
	my ($rc, $v) = $router->psql("select v from kv where id = $other", timeout => 30, timed_out => \my $to);
	ok(!$to && $rc == 0 && $v eq 'x' x ($other % 7) . "v$other",
		"$what: another session's query on the other shard is answered meanwhile");
	ok($h->pumpable, "$what: the statement waits for the stopped shard");
	kill 'CONT', $shards[0]->pid;
	$h->finish;
	chomp $out;
	chomp $err;
	if (defined $expect)
	{
		is("$out|$err", $expect, "$what: answered once the shard goes on");
		return;
	}
	my ($prc, $pout, $perr) = $oracle->psql($sql, flags => \@flags, stdin => $stdin // '');
	is("$out|$err", "$pout|$perr", "$what: answered as PostgreSQL does once the shard goes on");
}

while_stopped('an ORDER BY expression over the shards',
	'select id, v from kv order by length(v) desc, id limit 5');
while_stopped('INSERT ... SELECT into a table with a serial column',
	"insert into sq (n, v) select id, v from kv where id = $other");
is($router->safe_psql('select count(*) from sq where n > 0'), '1', 'the row took a value of the sequence');
while_stopped('COPY into a table not copied into before',
	'copy cp from stdin', join('', map { "$_\tc$_\n" } 1 .. 20));
is($router->safe_psql('select count(*), sum(id) from cp'), '20|210', 'the rows were copied');
while_stopped('nextval of a sequence not drawn from before', q{select nextval('s9'), nextval('s9')});
# the extended protocol: an Execute whose plan needs an expression's type
# waits for it and runs again (pgbench -M prepared: Parse, Bind, Execute)
my $dir = $c->basedir;
open my $fh, '>', "$dir/expr.sql" or die $!;
print $fh "select id, v from kv order by upper(v), id limit 3;\n";
close $fh;
my ($brc, $bout, $berr) = DoSQL::Test::Utils::run_command([ "$DoSQL::Test::ServerNode::pg_bindir/pgbench", '-n', '-M',
		'prepared', '-t', '2', '-f', "$dir/expr.sql", '-h', $router->host, '-p', $router->port, '-U', 'dosql', 'dosql' ]);
is($brc, 0, 'an Execute whose plan asks an expression type runs') or diag($berr);
like($bout, qr/number of transactions actually processed: 2/, 'both of its runs');
$router->safe_psql('create table pt (id int primary key, v text)');
$router->safe_psql('select count(*) from pt');
while_stopped('dosql_shard_table', q{select dosql_shard_table('pt', 'id')}, undef, '|');
like($router->safe_psql('show vschema'), qr/^pt\|sharded\|hash\(id\)\|2$/m, 'the table is sharded now');
$router->safe_psql('create table pu (id int primary key, v text)');
$router->safe_psql('select count(*) from pu');
while_stopped('dosql_shard_table naming no column of the table', q{select dosql_shard_table('pu', 'nosuch')}, undef,
	q{|ERROR:  column "nosuch" of relation "pu" does not exist});

$c->stop;
is($_->sanitizer_report, '', $_->name . ': no sanitizer reports') for $c->router, $c->shards;

# With shard_timeout_ms, a catalog question the stopped first shard does
# not answer fails the statement that waits for it with 57014, as a
# statement on a shard that does not answer does; the router serves on.
my $t = DoSQL::Test::Cluster->new('metatimeout',
	shards => 2,
	tables => { kv => { column_vindexes => [ { column => 'id', name => 'hash' } ] } },
	router_config => { shard_timeout_ms => 1000 });
$t->start;
my $tr = $t->router;
my @ts = $t->shards;
$tr->safe_psql('create table kv (id int primary key, v text)');
$tr->safe_psql("insert into kv (id, v) values (1, 'a'), (2, 'bb'), (3, 'ccc'), (4, 'dddd')");
$tr->safe_psql('select count(*) from kv');
kill 'STOP', $ts[0]->pid;
my ($rc, $out, $err) = $tr->psql('select id from kv order by length(v) desc, id',
	flags => [ '-X', '-q', '-A', '-t', '-v', 'VERBOSITY=verbose' ], timeout => 60);
kill 'CONT', $ts[0]->pid;
like($err, qr/ERROR:  57014: canceling statement due to shard_timeout_ms: shard "[^"]+" did not answer within 1000 ms/,
	'an expression type the stopped first shard does not give in time: 57014');
is($tr->safe_psql('select id from kv order by length(v) desc, id'), "4\n3\n2\n1",
	'the same statement is answered once the shard goes on');
$tr->safe_psql('create table pz (id int primary key, v text)');
$tr->safe_psql('select count(*) from pz');
kill 'STOP', $ts[0]->pid;
($rc, $out, $err) = $tr->psql(q{select dosql_shard_table('pz', 'id')},
	flags => [ '-X', '-q', '-A', '-t', '-v', 'VERBOSITY=verbose' ], timeout => 60);
kill 'CONT', $ts[0]->pid;
like($err, qr/ERROR:  57014: canceling statement due to shard_timeout_ms: shard "[^"]+" did not answer within 1000 ms/,
	'dosql_shard_table whose rows the stopped shard does not count in time: 57014');
is($tr->safe_psql(q{select dosql_shard_table('pz', 'id')}), '', 'and it runs once the shard goes on');
$t->stop;
is($_->sanitizer_report, '', $_->name . ': no sanitizer reports') for $t->router, $t->shards;
$oracle->stop;

done_testing();
