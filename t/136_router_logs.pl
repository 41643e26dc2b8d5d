# The router's log: log_format "json" writes one JSON object a line
# (timestamp, level, program, pid, context, message); log_min_duration_ms
# logs each statement that took that long with its duration, its text and
# the session's id, user, database, address and application_name, at
# level info, which log_level "warn" leaves out.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use File::Spec;
use DoSQL::Test::Cluster;
use DoSQL::Test::Utils qw(slurp_file write_file run_command);
use DoSQL::Test::Deps qw(require_dependency perl_module_missing);

require_dependency(perl_module_missing('DBD::Pg', 'libdbd-pg-perl'));
require DBI;

my $c = DoSQL::Test::Cluster->new('logs',
	shards => 2,
	tables => { kv => { column_vindexes => [ { column => 'id', name => 'hash' } ] } },
	router_config => { log_format => 'json', log_min_duration_ms => 0 });
$c->start;
my $router = $c->router;
$router->safe_psql('create table kv (id int primary key, v text)');
$router->safe_psql("insert into kv (id, v) values (7, 'seven')");
my $pos = $router->log_position;
is($router->safe_psql('select v from kv where id = 7', connstr => { application_name => 'logtest' }), 'seven',
	'a statement');
ok($router->wait_for_log(qr/statement: select v from kv where id = 7/, $pos), 'it is logged');
my @json = map { eval { decode_json($_) } // () } grep { /^\{/ } split /\n/, $router->log_content($pos);
my ($slow) = grep { ($_->{message} // '') =~ /statement: select v from kv where id = 7/ } @json;
ok($slow, 'as a JSON line');
like($slow->{message}, qr/^duration: \d+\.\d{3} ms  statement: select v from kv where id = 7$/, 'with its duration');
is($slow->{level}, 'info', 'at level info');
is($slow->{program}, 'dosql', 'by dosql');
like($slow->{timestamp}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'an ISO 8601 timestamp');
like($slow->{context}, qr/^session \d+ \(dosql\@dosql 127\.0\.0\.1:\d+ logtest\)$/,
	'the session: id, user, database, address, application_name');
ok($slow->{pid} > 0, 'the pid');
is($slow->{application_name}, 'logtest', 'application_name as a field');
is($slow->{user}, 'dosql', 'the user as a field');
is($slow->{database}, 'dosql', 'the database as a field');
like($slow->{client}, qr/^127\.0\.0\.1:\d+$/, 'the client address as a field');
ok(!exists $slow->{shard}, 'no shard field on a line about no shard');
like($slow->{context}, qr/^session \Q$slow->{session}\E /, 'the session id as a field');

# a line about a shard names it in a field of its own: a killed shard
# fails a session's statement with a warning
my $dead = ($c->shard_names)[1];
$c->shard($dead)->kill9;
$pos = $router->log_position;
my ($rc, undef, $err) = $router->psql('select count(*) from kv', connstr => { application_name => 'shardtest' });
isnt($rc, 0, 'a statement over a killed shard fails');
like($err, qr/shard "\Q$dead\E" is unavailable/, '... naming the shard');
ok($router->wait_for_log(qr/is unavailable/, $pos), 'the failure is logged');
@json = map { eval { decode_json($_) } // () } grep { /^\{/ } split /\n/, $router->log_content($pos);
my ($down) = grep { ($_->{message} // '') =~ /is unavailable/ } @json;
ok($down, 'as a JSON line');
is($down->{level}, 'warning', 'at level warning');
is($down->{shard}, $dead, 'with the shard as a field');
is($down->{application_name}, 'shardtest', 'and the session that met it');
like($down->{context}, qr/^session \d+ \(dosql\@dosql 127\.0\.0\.1:\d+ shardtest\) shard "\Q$dead\E"$/,
	'context: the session and the shard');
$c->shard($dead)->restart;

# bound parameter values are not logged unless log_parameters is on
my $bound = sub {
	my $dbh = DBI->connect('dbi:Pg:host=' . $router->host . ';port=' . $router->port . ';dbname=dosql', 'dosql', 'dosql',
		{ RaiseError => 1, PrintError => 0 });
	my $v = $dbh->selectrow_array('select v from kv where id = $1 and v <> $2', undef, 7, "it's secret");
	$dbh->disconnect;
	return $v;
};
$pos = $router->log_position;
is($bound->(), 'seven', 'a statement with bound parameters');
ok($router->wait_for_log(qr/statement: select v from kv where id = \$1/, $pos), 'is logged');
unlike($router->log_content($pos), qr/secret/, 'without its parameter values');
$c->stop;
my $cfg = decode_json(slurp_file($c->config_file));
$cfg->{log_parameters} = JSON::PP::true;
write_file($c->config_file, encode_json($cfg));
$c->start;
$pos = $router->log_position;
is($bound->(), 'seven', 'the statement with log_parameters on');
ok($router->wait_for_log(qr/statement: select v from kv where id = \$1/, $pos), 'is logged');
like($router->log_content($pos), qr/statement: select v from kv where id = \$1 and v <> \$2  parameters: \$1 = '7', \$2 = 'it''s secret'/,
	'with its parameter values, quoted as PostgreSQL logs them');
delete $cfg->{log_parameters};

# log_level warn: statements at info are not logged
$c->stop;
$cfg->{log_level} = 'warn';
write_file($c->config_file, encode_json($cfg));
$c->start;
$pos = $router->log_position;
is($router->safe_psql('select v from kv where id = 7'), 'seven', 'a statement at log_level warn');
$router->safe_psql('select 1');
unlike($router->log_content($pos), qr/statement: select v from kv/, 'is not logged');
$c->stop;

# log_file: stderr goes there; SIGUSR1 opens it again after a rotation
$cfg->{log_file} = 'router.log';
$cfg->{log_level} = 'info';
write_file($c->config_file, encode_json($cfg));
$c->start;
my $lf = File::Spec->catfile($c->basedir, 'router.log');
is($router->safe_psql("select 'first'"), 'first', 'a statement with log_file');
like(slurp_file($lf), qr/statement: select 'first'/, 'is logged in log_file');
rename $lf, "$lf.1" or die "rename: $!";
kill 'USR1', $router->pid;
ok(DoSQL::Test::Utils::poll_until(sub { -e $lf }), 'SIGUSR1 opens log_file again');
is($router->safe_psql("select 'second'"), 'second', 'another statement');
like(slurp_file($lf), qr/statement: select 'second'/, 'is logged in the new file');
unlike(slurp_file("$lf.1"), qr/statement: select 'second'/, 'not in the rotated one');
$c->stop;
delete $cfg->{log_file};

my $bin = $ENV{DOSQL_BINDIR} // 'bin';
for my $bad ([ log_level => 'loud' ], [ log_format => 'xml' ], [ log_min_duration_ms => -2 ], [ log_parameters => 'yes' ]) {
	my $file = File::Spec->catfile($c->basedir, 'bad.json');
	write_file($file, encode_json({ %$cfg, $bad->[0] => $bad->[1] }));
	my ($rc, $out, $err) = run_command([ "$bin/dosql", '--config', $file ], timeout => 30);
	isnt($rc, 0, "$bad->[0] = $bad->[1] stops the router");
	like($err, qr/\Q$file\E: \Q$bad->[0]\E: expected/, '... naming the file and the key');
}

done_testing();
