# The admin console through psql: SHOW SHARDS, CLIENTS, SERVERS, CONFIG,
# LISTS and VERSION; RELOAD (and SIGHUP) re-reads the passwd file without
# dropping sessions and keeps the old users when the new file is bad;
# SET SHARD ... READ ONLY refuses writes to that shard with 25006; only
# admin users run the commands (42501); max_client_conn refuses with
# 53300; SHUTDOWN WAIT_FOR_CLIENTS ends the router once its sessions went.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IPC::Run;
use File::Spec;
use JSON::PP ();
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Utils qw(poll_until write_file append_to_file run_command slurp_file);

my $c = DoSQL::Test::Cluster->new('opadmin',
	shards => 2,
	auth => 'scram-sha-256',
	tables => { kv => { column_vindexes => [ { column => 'id', name => 'hash' } ] } },
	router_config => { admin_users => ['dosql'], max_client_conn => 4 });
$c->start;
my $router = $c->router;
my @shards = $c->shards;
my @names = $c->shard_names;
my $passwd = File::Spec->catfile($c->basedir, 'passwd');
my $bin = $ENV{DOSQL_BINDIR} // 'bin';

$router->safe_psql('create table kv (id int primary key, v text)');
$router->safe_psql('insert into kv (id, v) values ' . join(', ', map { "($_, 'v$_')" } 1 .. 20));

# SHOW SHARDS: one row per shard with its address and counters
my @rows = map { [ split /\|/ ] } split /\n/, $router->safe_psql('show shards');
is(scalar @rows, 2, 'SHOW SHARDS: a row per shard');
is($rows[0][0], $names[0], 'its name');
is($rows[0][1], $shards[0]->host . ':' . $shards[0]->port, 'its address');
is($rows[0][4], 'no', 'not read-only');
ok($rows[0][5] > 0 && $rows[1][5] > 0, 'statements counted on each');

# CHECKPOINT through the router goes to every shard
my @st0 = map { (split /\|/)[2] } split /\n/, $router->safe_psql('show stats');
my ($crc, $cout) = $router->psql('checkpoint', flags => [ '-X' ]);
is($cout, 'CHECKPOINT', 'CHECKPOINT through the router');
my @st1 = map { (split /\|/)[2] } split /\n/, $router->safe_psql('show stats');
is(join(',', map { $st1[$_] - $st0[$_] } 0 .. $#st0), '1,1', 'it ran once on each shard');

# a second session, to show in SHOW CLIENTS and keep through RELOAD
my ($in, $out, $err) = ('', '', '');
my $psql = IPC::Run::start([ DoSQL::Test::ServerNode::pg_program('psql'), '-X', '-A', '-t', '-d',
		$router->connstr(application_name => 'keeper') ], '<', \$in, '>', \$out, '2>', \$err);
$in .= "begin;\nselect v from kv where id = 1;\n";
ok(poll_until(sub { $psql->pump_nb; $out =~ /v1/ }), 'a session in a transaction');
my $clients = $router->safe_psql('show clients');
like($clients, qr/^\d+\|dosql\|dosql\|keeper\|127\.0\.0\.1:\d+\|idle in transaction\|[\d.]+\|[\d.]+\|[-\w]+$/m,
	'SHOW CLIENTS: the other session, its application_name, state and shard');
like($clients, qr/\|active\|/, 'SHOW CLIENTS: the asking session is active');
like($router->safe_psql('show servers'), qr/^\Q$names[0]\E\|[^|]+\|(idle|active)\|\d+$|^\Q$names[1]\E\|[^|]+\|(idle|active)\|\d+$/m,
	'SHOW SERVERS: the connection the transaction holds');
my %config = map { split /\|/, $_, 2 } split /\n/, $router->safe_psql('show config');
is($config{max_client_conn}, '4', 'SHOW CONFIG: max_client_conn');
is($config{auth}, 'scram-sha-256', 'SHOW CONFIG: auth');
is($config{admin_users}, 'dosql', 'SHOW CONFIG: admin_users');
my %lists = map { split /\|/ } split /\n/, $router->safe_psql('show lists');
is($lists{shards}, 2, 'SHOW LISTS: shards');
is($lists{clients}, 2, 'SHOW LISTS: two clients');
is($lists{clients_in_transaction}, 1, 'SHOW LISTS: one in a transaction');
like($router->safe_psql('show version'), qr/^DoSQL router, PostgreSQL 15/, 'SHOW VERSION');
my ($rc, $o, $e) = $router->psql('show nosuch_setting');
like($e, qr/unrecognized configuration parameter "nosuch_setting"/, 'other SHOWs still go to a shard');

# max_client_conn = 4: one is connected; three more fit, the fifth is refused
my @extra = map {
	my ($i, $x, $y) = ("select 'held';\n", '', '');
	my $h = IPC::Run::start([ DoSQL::Test::ServerNode::pg_program('psql'), '-X', '-A', '-t', '-d', $router->connstr ],
		'<', \$i, '>', \$x, '2>', \$y);
	poll_until(sub { $h->pump_nb; $x =~ /held/ }) or diag("session $_: $y");
	[ $h, \$i ];
} 1 .. 3;
($rc, $o, $e) = $router->psql('select 1');
isnt($rc, 0, 'past max_client_conn a client is refused');
like($e, qr/too many clients already \(max_client_conn is 4\)/, 'with a message naming the limit');
for (@extra) { ${ $_->[1] } .= "\\q\n"; $_->[0]->finish; }
ok(poll_until(sub { ($router->psql('select 1'))[0] == 0 }), 'a client comes in once others left');

# a user who is not an admin gets 42501; RELOAD brings in a new user
my ($prc, $secret) = run_command([ "$bin/dosql-passwd", 'bob' ]);
is($prc, 0, 'dosql-passwd makes a secret');
chomp $secret;
my $bob = $router->connstr(user => 'bob', password => 'bob');
($rc, $o, $e) = $router->psql('select 1', connstr => $bob);
like($e, qr/password authentication failed/, 'bob is not a user yet');
append_to_file($passwd, "bob:$secret\n");
($rc, $o, $e) = $router->psql('reload', connstr => $bob);
like($e, qr/password authentication failed/, 'not before RELOAD');
is($router->safe_psql('reload'), '', 'RELOAD by an admin');
is($router->safe_psql('select 1', connstr => $bob), '1', 'bob comes in after RELOAD');
($rc, $o, $e) = $router->psql('reload', connstr => $bob);
like($e, qr/permission denied: reload is for the users of admin_users/, 'bob may not RELOAD (42501)');
($rc, $o, $e) = $router->psql('set shard \'' . $names[0] . '\' read only', connstr => $bob);
like($e, qr/permission denied/, 'nor SET SHARD');
$in .= "select 'kept';\n";
ok(poll_until(sub { $psql->pump_nb; $out =~ /kept/ }), 'the session in a transaction went on through RELOAD');

# SIGHUP with a broken passwd file keeps the users
my $good = slurp_file($passwd);
write_file($passwd, "this is not a passwd line\n");
my $pos = $router->log_position;
kill 'HUP', $router->pid;
ok($router->wait_for_log(qr/reload: .*the users and settings stay as they were/, $pos), 'a bad passwd file is reported');
is($router->safe_psql('select 1', connstr => $bob), '1', 'and the old users stay');
write_file($passwd, $good);

# RELOAD applies the config file's limits; a broken file keeps them
my $cfgtext = slurp_file($c->config_file);
my $cfg = JSON::PP::decode_json($cfgtext);
$cfg->{max_client_conn} = 7;
write_file($c->config_file, JSON::PP::encode_json($cfg));
is($router->safe_psql('reload'), '', 'RELOAD with a changed max_client_conn');
is({ map { split /\|/, $_, 2 } split /\n/, $router->safe_psql('show config') }->{max_client_conn}, '7', 'it applies');
write_file($c->config_file, '{"max_client_conn": ');
($rc, $o, $e) = $router->psql('reload');
like($e, qr/\Q${\ $c->config_file}\E:\d+:\d+: /, 'a broken config file: RELOAD fails naming it');
is({ map { split /\|/, $_, 2 } split /\n/, $router->safe_psql('show config') }->{max_client_conn}, '7',
	'and the settings stay');
write_file($c->config_file, $cfgtext);
is($router->safe_psql('reload'), '', 'RELOAD with the first file');

# RELOAD reads the VSchema again: a new table, a shard's new address
my $vstext = slurp_file($c->vschema_file);
my $vs = JSON::PP::decode_json($vstext);
my $write_vs = sub { write_file($c->vschema_file, JSON::PP->new->canonical->pretty->encode($_[0])); };
$vs->{tables}{ev} = { column_vindexes => [ { column => 'id', name => 'hash' } ] };
$vs->{shards}[1]{host} = 'localhost';
$write_vs->($vs);
is($router->safe_psql('reload'), '', 'RELOAD with a new table and a shard\'s new address');
$router->safe_psql('create table ev (id int primary key, v text)');
$router->safe_psql('insert into ev (id, v) values ' . join(', ', map { "($_, 'e$_')" } 1 .. 20));
my @held_ev = map { $_->safe_psql('select count(*) from ev') } @shards;
ok($held_ev[0] > 0 && $held_ev[1] > 0 && $held_ev[0] + $held_ev[1] == 20, 'the new table is sharded by its vindex')
  or diag("@held_ev");
like($router->safe_psql('show shards'), qr/^\Q$names[1]\E\|localhost:\Q${\ $shards[1]->port}\E\|/m,
	'SHOW SHARDS shows the new address');
is($router->safe_psql('select count(*) from kv'), '20', 'statements reach both shards');
# a table with rows keeps its placement; other shards are resharding
my %moved = %$vs;
$moved{tables} = { %{ $vs->{tables} }, kv => { type => 'reference' } };
$write_vs->(\%moved);
($rc, $o, $e) = $router->psql('reload');
like($e, qr/placement of table "kv", which has 20 rows: moving rows is resharding/,
	'RELOAD refuses to move a table with rows');
is($router->safe_psql('select count(*) from kv where id = 3'), '1', 'and kv stays sharded');
my %fewer = (%$vs, shards => [ { %{ $vs->{shards}[0] }, name => '-' } ]);
$write_vs->(\%fewer);
($rc, $o, $e) = $router->psql('reload');
like($e, qr/the VSchema's shards changed: that is resharding/, 'RELOAD refuses other shards');
write_file($c->vschema_file, '{"sharded": ');
($rc, $o, $e) = $router->psql('reload');
like($e, qr/\Q${\ $c->vschema_file}\E:\d+:\d+: /, 'a broken VSchema file: RELOAD fails naming it');
is($router->safe_psql('select count(*) from ev'), '20', 'and the VSchema stays');
$write_vs->($vs);
is($router->safe_psql('reload'), '', 'RELOAD with the VSchema as it is');

# SET SHARD ... READ ONLY: writes there get 25006, reads go on
my ($on0) = grep { $shards[0]->safe_psql("select count(*) from kv where id = $_") } 1 .. 20;
my ($on1) = grep { $shards[1]->safe_psql("select count(*) from kv where id = $_") } 1 .. 20;
is($router->safe_psql("set shard '$names[0]' read only"), '', 'SET SHARD READ ONLY');
($rc, $o, $e) = $router->psql("update kv set v = 'no' where id = $on0");
like($e, qr/cannot write to shard "\Q$names[0]\E": it is read-only/, 'a write there is refused');
is($router->safe_psql("select v from kv where id = $on0"), "v$on0", 'a read there works');
is($router->safe_psql("update kv set v = 'yes' where id = $on1"), '', 'a write to the other shard works');
like(($router->psql('show shards'))[1], qr/^\Q$names[0]\E\|[^|]*\|[^|]*\|[^|]*\|yes\|/m, 'SHOW SHARDS shows it read-only');
($rc, $o, $e) = $router->psql("set shard 'nosuch' read only");
like($e, qr/shard "nosuch" does not exist/, 'an unknown shard');
is($router->safe_psql("set shard '$names[0]' read write"), '', 'SET SHARD READ WRITE');
is($router->safe_psql("update kv set v = 'ok' where id = $on0"), '', 'writes go there again');

# PAUSE a shard: its statements wait (SHOW CLIENTS says paused) until
# RESUME; the other shard's go on
is($router->safe_psql("pause '$names[0]'"), '', 'PAUSE a shard');
my ($pin, $pout, $perr) = ('', '', '');
my $waiter = IPC::Run::start([ DoSQL::Test::ServerNode::pg_program('psql'), '-X', '-A', '-t', '-d', $router->connstr,
		'-c', "select v from kv where id = $on0" ], '<', \$pin, '>', \$pout, '2>', \$perr);
ok(poll_until(sub { $router->safe_psql('show clients') =~ /\|paused\|/ }), 'the statement for it waits (SHOW CLIENTS)');
is($router->safe_psql("select v from kv where id = $on1"), 'yes', 'the other shard answers meanwhile');
is($router->safe_psql("resume '$names[0]'"), '', 'RESUME');
$waiter->finish;
is($pout, "ok\n", 'the statement that waited completes') or diag($perr);
# past pause_timeout_ms: 57014 naming the shard
$cfg->{pause_timeout_ms} = 500;
write_file($c->config_file, JSON::PP::encode_json($cfg));
$router->safe_psql('reload');
is($router->safe_psql('pause'), '', 'PAUSE every shard');
($rc, $o, $e) = $router->psql("\\set VERBOSITY verbose\nselect v from kv where id = $on1");
like($e, qr/ERROR:  57014: canceling statement due to pause_timeout_ms: shard "\Q$names[1]\E" is paused/,
	'waits up to pause_timeout_ms, then 57014 naming the shard');
is($router->safe_psql('resume'), '', 'RESUME every shard');
is($router->safe_psql("select v from kv where id = $on1"), 'yes', 'statements go again');
write_file($c->config_file, $cfgtext);
$router->safe_psql('reload');

# SHUTDOWN WAIT_FOR_CLIENTS: the open transaction ends, then the router
$in .= "commit;\nbegin;\nselect 'new txn';\n";
ok(poll_until(sub { $psql->pump_nb; $out =~ /new txn/ }), 'the session opened another transaction');
is($router->safe_psql('shutdown wait_for_clients'), '', 'SHUTDOWN WAIT_FOR_CLIENTS');
ok($router->is_running, 'the router waits for its sessions');
$in .= "update kv set v = 'last' where id = $on1;\ncommit;\nselect 'after';\n";
ok(poll_until(sub { $psql->pump_nb; $err =~ /terminating connection due to administrator command/ }),
	'the session ends after its transaction') or diag("out $out err $err");
unlike($out, qr/after/, 'nothing after the transaction ran');
$psql->kill_kill;
ok($router->wait_exit, 'the router exits');
is($shards[1]->safe_psql("select v from kv where id = $on1"), 'last', 'the committed transaction is in the data')
  or diag("out $out err $err");

done_testing();
