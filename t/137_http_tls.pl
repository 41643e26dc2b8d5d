# With the router's certificate configured ("tls"), the HTTP listener
# speaks HTTPS only: curl gets /health and, with an admin user's password,
# /admin/status over TLS; a plain HTTP request gets no answer; and psql
# still connects with sslmode=require.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use DoSQL::Test::Cluster;
use DoSQL::Test::Deps qw(require_dependency program_missing);
use DoSQL::Test::Utils qw(free_port run_command);

require_dependency(program_missing([ 'openssl', 'version' ], 'openssl'), program_missing([ 'curl', '--version' ], 'curl'));

my $http_port = free_port();
my $c = DoSQL::Test::Cluster->new('httptls', shards => 2, auth => 'scram-sha-256',
	router_config => { http => { host => '127.0.0.1', port => $http_port + 0 }, admin_users => ['dosql'],
		tls => { cert => 'cert.pem', key => 'key.pem' } });
my $dir = $c->basedir;
my ($rc, $out, $err) = run_command([ 'openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
		'-subj', '/CN=localhost', '-keyout', "$dir/key.pem", '-out', "$dir/cert.pem" ]);
is($rc, 0, 'a self-signed certificate') or diag($err);
chmod 0600, "$dir/key.pem";
$c->start;

($rc, $out, $err) = run_command([ 'curl', '-s', '-S', '-k', '-m', '30', "https://127.0.0.1:$http_port/health" ]);
is($rc, 0, 'curl over HTTPS') or diag($err);
is((eval { decode_json($out) } // {})->{status}, 'healthy', '/health over TLS');
($rc, $out, $err) = run_command([ 'curl', '-s', '-S', '-k', '-m', '30', '-u', 'dosql:dosql',
		"https://127.0.0.1:$http_port/admin/status" ]);
is((eval { decode_json($out) } // {})->{config}{tls}, JSON::PP::true, '/admin/status with Basic over TLS');
($rc, $out, $err) = run_command([ 'curl', '-s', '-m', '10', "http://127.0.0.1:$http_port/health" ]);
unlike($out, qr/healthy/, 'plain HTTP gets no answer');
is($c->router->safe_psql('select 1', connstr => { sslmode => 'require' }), '1', 'psql with sslmode=require');

done_testing();
