# The router's HTTP listener, driven with curl: /health for a load
# balancer, /health/deep with a round trip to every shard (a killed shard
# is down, a stopped one times out within the deadline), the admin
# endpoints behind the admin token or an admin user's password, the
# Prometheus metrics checked by promtool and scraped by a real Prometheus
# server, maintenance mode (57P03 for new clients, old ones go on) and a
# drain that ends the router once its sessions went.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use IPC::Run;
use File::Spec;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Deps qw(require_dependency program_missing);
use DoSQL::Test::Utils qw(poll_until free_port write_file run_command);

require_dependency(program_missing([ 'curl', '--version' ], 'curl'),
	program_missing([ 'promtool', '--version' ], 'prometheus'),
	program_missing([ 'prometheus', '--version' ], 'prometheus'));

my $http_port = free_port();
my $token = 'tok-0123456789abcdef';
my $c = DoSQL::Test::Cluster->new('ophttp',
	shards => 3,
	auth => 'scram-sha-256',
	tables => { kv => { column_vindexes => [ { column => 'id', name => 'hash' } ] } },
	router_config => {
		http => { host => '127.0.0.1', port => $http_port + 0 },
		admin_token => $token,
		admin_users => ['dosql'],
		health_timeout_ms => 1500,
	});
$c->start;
my $router = $c->router;
my @shards = $c->shards;
my $base = "http://127.0.0.1:$http_port";

# curl: (status, body)
sub http
{
	my ($method, $path, %o) = @_;
	my @argv = ('curl', '-s', '-S', '-m', '30', '-o', '-', '-w', '\n%{http_code}', '-X', $method);
	push @argv, '-H', "Authorization: Bearer $o{token}" if $o{token};
	push @argv, '-u', $o{basic} if $o{basic};
	push @argv, '-H', 'Content-Type: application/json', '--data-binary', $o{body} if defined $o{body};
	my ($rc, $out, $err) = run_command([ @argv, "$base$path" ]);
	die "curl failed ($rc): $err" if $rc != 0;
	my ($body, $code) = $out =~ /\A(.*)\n(\d{3})\z/s or die "curl output: $out";
	return ($code, $body);
}

sub json_of { my ($b) = @_; return eval { decode_json($b) } // {}; }

$router->safe_psql('create table kv (id int primary key, v text)');
$router->safe_psql('insert into kv (id, v) values ' . join(', ', map { "($_, 'v$_')" } 1 .. 60));
is($router->safe_psql('select count(*) from kv'), '60', 'rows through the router');

# /health and /health/deep need no credentials
my ($code, $body) = http('GET', '/health');
is($code, 200, '/health answers 200');
is(json_of($body)->{status}, 'healthy', '/health says healthy');
($code, $body) = http('GET', '/health/deep');
is($code, 200, '/health/deep answers 200 with every shard up');
my $deep = json_of($body);
is($deep->{status}, 'healthy', '/health/deep: healthy');
is(scalar(grep { $_->{status} eq 'up' } @{ $deep->{shards} }), 3, 'every shard is up');
is($deep->{coordinator}{in_doubt}, 0, 'no prepared transaction in doubt');
($code) = http('POST', '/health');
is($code, 405, 'a POST to /health is refused with 405');
($code) = http('GET', '/nosuch');
is($code, 404, 'an unknown path gets 404');

# admin endpoints: 401 without credentials, with a wrong token or password
($code, $body) = http('GET', '/admin/status');
is($code, 401, '/admin/status without credentials: 401');
is(json_of($body)->{error}{code}, '28000', 'the error carries SQLSTATE 28000');
($code) = http('GET', '/admin/status', token => 'tok-wrong-wrong-wrong');
is($code, 401, 'a wrong token: 401');
($code) = http('GET', '/admin/status', basic => 'dosql:wrong');
is($code, 401, 'a wrong password: 401');
($code, $body) = http('GET', '/admin/status', basic => 'dosql:dosql');
is($code, 200, 'an admin user with its password: 200');
my $st = json_of($body);
is($st->{version}, '15.18 (DoSQL)', 'status: version');
is($st->{config}{shards}, 3, 'status: config summary');
ok(!exists $st->{config}{admin_token} && $body !~ /\Q$token\E/, 'status shows no secret');
is(scalar @{ $st->{pools} }, 3, 'status: a pool per shard');
ok($st->{uptime_seconds} >= 0, 'status: uptime');

($code, $body) = http('GET', '/admin/shards/health', token => $token);
is($code, 200, '/admin/shards/health with the token');
my @sh = @{ json_of($body)->{shards} // [] };
is(scalar @sh, 3, 'a row per shard');
ok((grep { $_->{statements} > 0 } @sh) == 3, 'each shard counts its statements');
ok((grep { ($_->{storage_bytes} // 0) > 0 && defined $_->{wal_bytes} } @sh) == 3,
	'each shard reports the bytes of its database and write-ahead log');
ok((grep { $_->{wal_bytes} > 0 } @sh) > 0, 'the inserts are in a write-ahead log');
($code) = http('POST', '/admin/compact');
is($code, 401, 'POST /admin/compact needs credentials');
($code, $body) = http('POST', '/admin/compact', token => $token);
is($code, 200, 'POST /admin/compact with the token');
my @after = @{ json_of($body)->{shards} // [] };
is(scalar(grep { $_->{status} eq 'up' && defined $_->{wal_bytes} && $_->{wal_bytes} == 0 } @after), 3,
	'a truncating checkpoint on every shard: each write-ahead log is empty after it') or diag($body);
is($router->safe_psql('select count(*) from kv'), '60', 'and the rows are there');
is($sh[0]{address}, $shards[0]->host . ':' . $shards[0]->port, 'the shard\'s address');

# a session that stays (maintenance lets it go on; a drain waits for its transaction)
my ($in, $out, $err) = ('', '', '');
my $psql = IPC::Run::start([ DoSQL::Test::ServerNode::pg_program('psql'), '-X', '-A', '-t', '-d', $router->connstr ],
	'<', \$in, '>', \$out, '2>', \$err);
$in .= "select 'connected';\n";
ok(poll_until(sub { $psql->pump_nb; $out =~ /connected/ }), 'a session is open');

# a replication slot with changes it has not confirmed: 7 rows after it was made
my ($rrc, $rout, $rerr) = run_command([ DoSQL::Test::ServerNode::pg_program('pg_recvlogical'), '-d', $router->connstr,
	'-S', 'opslot', '--create-slot', '-P', 'test_decoding' ], timeout => 60);
is($rrc, 0, 'pg_recvlogical makes a slot through the router') or diag($rerr);
$router->safe_psql('insert into kv (id, v) values ' . join(', ', map { "($_, 'w$_')" } 101 .. 107));

# metrics: promtool finds nothing to report
$router->psql('select nosuch from kv');
($code, $body) = http('GET', '/metrics');
is($code, 200, '/metrics without credentials');
my $metrics = $body;
my ($prc, $pout, $perr) = run_command([ 'promtool', 'check', 'metrics' ], stdin => $metrics);
is($prc, 0, 'promtool check metrics passes') or diag("$pout $perr");
is($pout . $perr, '', 'promtool reports nothing');
like($metrics, qr/^dosql_query_duration_seconds_count\{kind="select",route="single_shard"\} [1-9]/m,
	'single-shard SELECTs are timed');
like($metrics, qr/^dosql_query_duration_seconds_count\{kind="insert",route="scatter"\} [1-9]/m,
	'the multi-row INSERT over several shards is timed as a scatter');
like($metrics, qr/^dosql_errors_total\{class="42"\} [1-9]/m, 'the undefined column counts in class 42');
like($metrics, qr/^dosql_connections [1-9]/m, 'connected sessions');
like($metrics, qr/^dosql_active_transactions 0$/m, 'no transaction is open');
like($metrics, qr/^dosql_shard_up\{shard="-55"\} 1$/m, 'the first shard is up');
like($metrics, qr/^shard_health_score\{shard="-55"\} (0\.\d+|1)$/m, 'its health score');
like($metrics, qr/^dosql_pool_sv_active\{shard="/m, 'pool gauges');
like($metrics, qr/^shard_latency_seconds_count\{shard="-55"\} [1-9]/m, 'per-shard statement latency');
like($metrics, qr/^dosql_2pc_committed_total [1-9]/m, 'the INSERT over several shards committed in two phases');
like($metrics, qr/^dosql_2pc_recovered_total\{outcome="commit"\} 0$/m, 'recovery had nothing to finish');
my %storage = $metrics =~ /^dosql_storage_used_bytes\{shard="([^"]+)"\} (\d+)$/mg;
is(scalar keys %storage, 3, 'each shard reports its database file');
my %wal = $metrics =~ /^dosql_wal_size_bytes\{shard="([^"]+)"\} (\d+)$/mg;
is(scalar keys %wal, 3, 'each shard reports its write-ahead log');
ok((grep { $_ > 0 } values %wal) == 3, 'every write-ahead log holds the inserts');
my ($imbalance) = $metrics =~ /^shard_imbalance_ratio (\S+)$/m;
my @sizes = values %storage;
my $mean = 0;
$mean += $_ / @sizes for @sizes;
my ($largest) = sort { $b <=> $a } @sizes;
ok(defined $imbalance && $mean > 0 && abs($imbalance - $largest / $mean) < 1e-9,
	'shard_imbalance_ratio is the largest database over the mean') or diag($imbalance // 'none');
like($metrics, qr/^cdc_consumer_lag\{slot="opslot"\} 7$/m, 'the slot has 7 changes it has not confirmed');
($code, $body) = http('GET', '/admin/metrics');
is($code, 401, '/admin/metrics needs credentials');
($code, $body) = http('GET', '/admin/metrics', token => $token);
is($code, 200, '/admin/metrics with the token');

# a real Prometheus scrapes the router and answers a PromQL query
my $prom_port = free_port();
my $pdir = File::Spec->catdir($c->basedir, 'prometheus');
mkdir $pdir;
write_file("$pdir/prometheus.yml", <<"EOT");
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: dosql
    static_configs:
      - targets: ['127.0.0.1:$http_port']
EOT
my $prom = IPC::Run::start([ 'prometheus', "--config.file=$pdir/prometheus.yml", "--storage.tsdb.path=$pdir/data",
		"--web.listen-address=127.0.0.1:$prom_port" ], '<', \'', '>', "$pdir/out.log", '2>', "$pdir/err.log");
my $answer = '';
ok(poll_until(sub {
	my ($r, $o) = run_command([ 'curl', '-s', '-m', '5', '--data-urlencode',
			'query=sum(dosql_query_duration_seconds_count{route="single_shard"})',
			"http://127.0.0.1:$prom_port/api/v1/query" ]);
	$answer = $o // '';
	return $r == 0 && $answer =~ /"value":\[[\d.]+,"[1-9]\d*"\]/;
}, 60), 'Prometheus scraped the router and answers a PromQL query') or diag($answer);
$prom->kill_kill;

# a dead shard and a stopped one: /health/deep answers within its deadline
$shards[1]->kill9;
kill 'STOP', $shards[2]->pid;
($code, $body) = http('GET', '/health/deep');
is($code, 503, '/health/deep: 503 with shards down');
$deep = json_of($body);
is($deep->{status}, 'degraded', 'degraded: one shard is still up');
my %state = map { $_->{name} => $_->{status} } @{ $deep->{shards} };
is($state{ ($c->shard_names)[0] }, 'up', 'the first shard is up');
is($state{ ($c->shard_names)[1] }, 'down', 'the killed shard is down');
is($state{ ($c->shard_names)[2] }, 'timeout', 'the stopped shard timed out');
($code, $body) = http('GET', '/metrics');
like($body, qr/^shard_health_score\{shard="\Q${\ ($c->shard_names)[1]}\E"\} 0$/m, 'a down shard scores 0');
kill 'CONT', $shards[2]->pid;
$shards[1]->start;
($code, $body) = http('GET', '/health/deep');
is($code, 200, 'healthy again once the shards are back');

# maintenance: new clients get 57P03, the open session goes on
($code, $body) = http('POST', '/admin/maintenance/enable', token => $token,
	body => '{"reason": "upgrade", "duration_minutes": 5}');
is($code, 200, 'maintenance enabled');
ok(json_of($body)->{enabled}, 'it says so');
($code) = http('GET', '/health');
is($code, 503, '/health says 503 in maintenance');
my ($rc, $o, $e) = $router->psql('select 1');
isnt($rc, 0, 'a new client is refused');
like($e, qr/57P03|maintenance: upgrade/, 'with 57P03 and the reason');
$in .= "select 'still here';\n";
ok(poll_until(sub { $psql->pump_nb; $out =~ /still here/ }), 'the open session goes on');
($code) = http('POST', '/admin/maintenance/enable', token => $token, body => '{"duration_minutes": "x"}');
is($code, 400, 'a bad body: 400');
($code) = http('POST', '/admin/maintenance/disable', token => $token);
is($code, 200, 'maintenance disabled');
is($router->safe_psql('select 1'), '1', 'new clients come in again');

# an open transaction shows in /admin/transactions/active
$in .= "begin;\nupdate kv set v = 'x' where id = 1;\nselect 'in txn';\n";
ok(poll_until(sub { $psql->pump_nb; $out =~ /in txn/ }), 'the session opened a transaction');
($code, $body) = http('GET', '/admin/transactions/active', token => $token);
my $tx = json_of($body);
is($tx->{count}, 1, 'one active transaction');
is($tx->{transactions}[0]{user}, 'dosql', 'with its user');
my ($holder) = grep { $shards[$_]->safe_psql('select count(*) from kv where id = 1') } 0 .. 2;
ok((grep { $_ eq ($c->shard_names)[$holder] } @{ $tx->{transactions}[0]{shards} }), 'and the shard it wrote on')
  or diag($body);
($code, $body) = http('GET', '/metrics');
like($body, qr/^dosql_active_transactions 1$/m, 'metrics count the open transaction');

# drain: the open transaction finishes, then the session is closed and
# the router exits
($code, $body) = http('POST', '/admin/connections/drain', token => $token);
is($code, 202, 'drain accepted');
($code) = http('GET', '/health');
is($code, 503, '/health says 503 while draining');
($rc, $o, $e) = $router->psql('select 1');
like($e, qr/shutting down/, 'a new client is refused while draining');
$in .= "select 'in block';\ncommit;\nselect 'after';\n";
ok(poll_until(sub { $psql->pump_nb; $err =~ /terminating connection due to administrator command/ }),
	'the session is closed after its transaction') or diag("out $out err $err");
like($out, qr/in block/, 'a statement inside the block ran');
unlike($out, qr/after/, 'nothing ran after the transaction');
$psql->kill_kill;
ok(poll_until(sub { !$router->is_running }), 'the router exits once its last session ended');
is($shards[0]->safe_psql("select v from kv where id = 1") . $shards[1]->safe_psql("select v from kv where id = 1")
	  . $shards[2]->safe_psql("select v from kv where id = 1"), 'x', 'the committed update is in the data');

done_testing();
