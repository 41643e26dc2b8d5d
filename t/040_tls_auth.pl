# TLS and password authentication of dosql-shard, as PostgreSQL 15 behaves:
# sslmode against a shard with and without a certificate, SCRAM-SHA-256, md5
# and password methods (a failed login is FATAL 28P01 with the same message
# for an unknown user), settings from --config, and refusals to start.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Digest::MD5 qw(md5_hex);
use Digest::SHA qw(sha256 hmac_sha256);
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64 decode_base64);
use DoSQL::Test::ServerNode;
use DoSQL::Test::Utils qw(run_command write_file slurp_file);
use DoSQL::Test::Deps qw(require_dependency program_missing);

require_dependency(program_missing([ 'openssl', 'version' ], 'openssl'));

my $passwd_bin = "$DoSQL::Test::ServerNode::bindir/dosql-passwd";
my $shard_bin = "$DoSQL::Test::ServerNode::bindir/dosql-shard";

# A self-signed certificate and key for CN=localhost in $dir.
sub make_cert
{
	my ($dir) = @_;
	my ($rc, $out, $err) = run_command(
		[
			'openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
			'-subj', '/CN=localhost', '-days', '1',
			'-keyout', "$dir/key.pem", '-out', "$dir/cert.pem"
		]);
	die "openssl req failed: $err" unless $rc == 0;
	chmod 0600, "$dir/key.pem";
	return ("$dir/cert.pem", "$dir/key.pem");
}

# The secret dosql-passwd prints for @argv.
sub run_secret
{
	my @argv = @_;
	my ($rc, $out, $err) = run_command([@argv]);
	die "@argv failed: $err" unless $rc == 0;
	chomp $out;
	return $out;
}

# psql as $user with $password (undef: none) and extra connection parameters.
sub psql_as
{
	my ($node, $sql, $user, $password, %params) = @_;
	return $node->psql($sql,
		connstr => { user => $user, %params },
		env => { PGPASSWORD => $password, PGPASSFILE => '/dev/null' });
}

# The one byte a server answers to an SSLRequest.
sub ssl_request_answer
{
	my ($node) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => $node->host, PeerPort => $node->port,
		Proto => 'tcp', Timeout => 10) or die "connect: $!";
	syswrite($s, pack('N N', 8, 80877103));
	my $byte = '';
	sysread($s, $byte, 1);
	close $s;
	return $byte;
}

# A minimal plaintext protocol client that logs in and reports what the
# server did: the authentication requests it sent (password, md5, scram) and
# either ok => 1 (ReadyForQuery reached) or error => { S, C, M, ... } (the
# fields of the ErrorResponse). libpq does not expose the SQLSTATE of an
# error received while connecting, this does.
sub raw_login
{
	my ($node, $user, $password) = @_;

	my $s = IO::Socket::INET->new(PeerAddr => $node->host, PeerPort => $node->port,
		Proto => 'tcp', Timeout => 10) or die "connect: $!";
	my $params = "user\0$user\0database\0dosql\0\0";
	syswrite($s, pack('N N', 8 + length $params, 196608) . $params);

	my $send = sub {
		my ($type, $body) = @_;
		syswrite($s, $type . pack('N', 4 + length $body) . $body);
	};
	my $read_n = sub {
		my ($n) = @_;
		my $buf = '';
		while (length $buf < $n)
		{
			my $got = sysread($s, $buf, $n - length $buf, length $buf);
			return undef unless $got;
		}
		return $buf;
	};

	my (@methods, $client_first_bare);
	while (defined(my $hdr = $read_n->(5)))
	{
		my ($type, $len) = unpack('a N', $hdr);
		my $body = $len > 4 ? $read_n->($len - 4) : '';
		last unless defined $body;
		if ($type eq 'E')
		{
			my %f = map { substr($_, 0, 1) => substr($_, 1) } split /\0/, $body;
			close $s;
			return { methods => \@methods, error => \%f };
		}
		if ($type eq 'Z')
		{
			$send->('X', '');
			close $s;
			return { methods => \@methods, ok => 1 };
		}
		next unless $type eq 'R';
		my $code = unpack('N', $body);
		if ($code == 3)
		{
			push @methods, 'password';
			$send->('p', "$password\0");
		}
		elsif ($code == 5)
		{
			push @methods, 'md5';
			my $salt = substr($body, 4, 4);
			$send->('p', 'md5' . md5_hex(md5_hex($password . $user) . $salt) . "\0");
		}
		elsif ($code == 10)
		{
			push @methods, 'scram';
			my $nonce = encode_base64(join('', map { chr(int(rand(256))) } 1 .. 18), '');
			$client_first_bare = "n=,r=$nonce";
			my $first = "n,,$client_first_bare";
			$send->('p', "SCRAM-SHA-256\0" . pack('N', length $first) . $first);
		}
		elsif ($code == 11)
		{
			my $server_first = substr($body, 4);
			my %a = map { /^(\w)=(.*)$/s } split /,/, $server_first;
			# Hi() of RFC 5802: PBKDF2 with HMAC-SHA-256
			my $u = hmac_sha256(decode_base64($a{s}) . pack('N', 1), $password);
			my $salted = $u;
			for (2 .. $a{i})
			{
				$u = hmac_sha256($u, $password);
				$salted ^= $u;
			}
			my $client_key = hmac_sha256('Client Key', $salted);
			my $final_bare = "c=biws,r=$a{r}";
			my $auth_message = "$client_first_bare,$server_first,$final_bare";
			my $proof = $client_key ^ hmac_sha256($auth_message, sha256($client_key));
			$send->('p', "$final_bare,p=" . encode_base64($proof, ''));
		}
	}
	close $s;
	return { methods => \@methods, eof => 1 };
}

# A login refused the way PostgreSQL refuses a bad password.
sub is_auth_failure
{
	my ($r, $user, $name) = @_;
	my $e = $r->{error} // {};
	is_deeply([ $e->{S} // '', $e->{C} // '', $e->{M} // '' ],
		[ 'FATAL', '28P01', qq{password authentication failed for user "$user"} ], $name);
}

# Runs dosql-shard in the foreground (for refusals to start): ($rc, $output,
# $timed_out). A server that wrongly starts is killed after 15 s. Sanitizer
# reports in the output are kept for a check at the end.
my @sanitizer_reports;
sub run_shard
{
	my ($dir, @args) = @_;
	my $port = DoSQL::Test::ServerNode::reserve_port();
	my $timed_out;
	my ($rc, $out, $err) = run_command(
		[ $shard_bin, '--data', "$dir/data", '--port', $port, '--host', '127.0.0.1', @args ],
		timeout => 15, timed_out => \$timed_out);
	push @sanitizer_reports, "dosql-shard @args: $1"
	  if $err =~ /^(.*(?:ERROR: (?:Address|Leak|Memory|Thread)Sanitizer|runtime error:).*|SUMMARY: .*)$/m;
	return ($rc, $out . $err, $timed_out);
}

my ($rc, $out, $err);

# ---------------------------------------------------------------- TLS

my $tls = DoSQL::Test::ServerNode->new_shard('tls');
my ($cert, $key) = make_cert($tls->basedir);
$tls->start('--ssl-cert', $cert, '--ssl-key', $key);

is(ssl_request_answer($tls), 'S', 'a shard with a certificate answers S to SSLRequest');

($rc, $out, $err) = $tls->psql('select 1', connstr => { sslmode => 'require' });
is($out, '1', 'sslmode=require connects and runs a query');

($rc, $out, $err) = $tls->psql("\\conninfo", connstr => { sslmode => 'require' });
like($out, qr/^SSL connection \(protocol: TLSv1\.[23], cipher: /m, '\conninfo shows an SSL connection');

($rc, $out, $err) = run_command(
	[ 'openssl', 's_client', '-starttls', 'postgres', '-connect', '127.0.0.1:' . $tls->port ],
	timeout => 30);
like($out, qr/^subject=\s*CN\s*=\s*localhost$/m, 'openssl s_client -starttls postgres gets the certificate');
like($out, qr/^New, TLSv1\.[23], Cipher is /m, 'openssl s_client completes a TLS handshake');

($rc, $out, $err) = $tls->psql("select 2;\n\\conninfo", connstr => { sslmode => 'disable' });
is($rc, 0, 'sslmode=disable connects to a shard with a certificate');
like($out, qr/^2\nYou are connected to database "dosql" as user "dosql"/, 'sslmode=disable runs a query');
unlike($out, qr/SSL connection/, 'sslmode=disable is a plain connection');

$tls->safe_psql('create table t (id int); insert into t values (1), (2), (3)',
	connstr => { sslmode => 'require' });
is($tls->safe_psql('select sum(id) from t', connstr => { sslmode => 'require' }), '6',
	'statements over TLS reach the database');

my $plain = DoSQL::Test::ServerNode->new_shard('plain');
$plain->start;

is(ssl_request_answer($plain), 'N', 'a shard without a certificate answers N to SSLRequest');
($rc, $out, $err) = $plain->psql('select 1', connstr => { sslmode => 'require' });
is($rc, 2, 'sslmode=require fails without a certificate');
like($err, qr/server does not support SSL, but SSL was required/, 'libpq says SSL was required');
($rc, $out, $err) = $plain->psql("select 3;\n\\conninfo", connstr => { sslmode => 'prefer' });
like($out, qr/^3\nYou are connected/, 'sslmode=prefer falls back to a plain connection');
unlike($out, qr/SSL connection/, 'sslmode=prefer without a certificate is not TLS');

# ---------------------------------------------------------------- secrets

my $auth_dir = $tls->basedir;
my $scram_secret = run_secret($passwd_bin, 'secret');
like($scram_secret, qr{^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}:[A-Za-z0-9+/]+={0,2}$},
	'dosql-passwd prints a SCRAM-SHA-256 verifier in PostgreSQL\'s format');
isnt(run_secret($passwd_bin, 'secret'), $scram_secret, 'each verifier has its own salt');
my $md5_secret = run_secret($passwd_bin, '--md5', 'bob', 'secret');
is($md5_secret, 'md5' . md5_hex('secretbob'), 'dosql-passwd --md5 prints md5(password || user)');

my $passwd = "$auth_dir/passwd";
write_file($passwd, "alice:$scram_secret\nbob:$md5_secret\n");
unlike(slurp_file($passwd), qr/secret/, 'the passwd file holds no plaintext password');

# ---------------------------------------------------------------- SCRAM

my $scram = DoSQL::Test::ServerNode->new_shard('scram',
	args => [ '--auth', 'scram-sha-256', '--passwd-file', $passwd, '--ssl-cert', $cert, '--ssl-key', $key ]);
$scram->start;

($rc, $out, $err) = psql_as($scram, 'select current_user', 'alice', 'secret', sslmode => 'disable');
is($out, 'alice', 'SCRAM: the right password logs in');
($rc, $out, $err) = psql_as($scram, 'select 1', 'alice', 'wrong', sslmode => 'disable');
is($rc, 2, 'SCRAM: a wrong password is refused');
like($err, qr/FATAL:  password authentication failed for user "alice"/, 'SCRAM: refusal message');
my $r = raw_login($scram, 'alice', 'wrong');
is_deeply($r->{methods}, ['scram'], 'SCRAM: the server asks for SCRAM-SHA-256');
is_auth_failure($r, 'alice', 'SCRAM: a wrong password is FATAL 28P01');
ok(raw_login($scram, 'alice', 'secret')->{ok}, 'SCRAM: the protocol client logs in with the right password');

($rc, $out, $err) = psql_as($scram, 'select 1', 'mallory', 'secret', sslmode => 'disable');
is($rc, 2, 'SCRAM: an unknown user is refused');
like($err, qr/FATAL:  password authentication failed for user "mallory"/,
	'SCRAM: an unknown user gets the wrong-password message');
$r = raw_login($scram, 'mallory', 'secret');
is_deeply($r->{methods}, ['scram'], 'SCRAM: an unknown user goes through the same SCRAM exchange');
is_auth_failure($r, 'mallory', 'SCRAM: an unknown user is FATAL 28P01');

is_auth_failure(raw_login($scram, 'bob', 'secret'), 'bob', 'SCRAM: a user with only an md5 secret cannot log in');

($rc, $out, $err) = psql_as($scram, "select current_user;\n\\conninfo", 'alice', 'secret', sslmode => 'require');
like($out, qr/^alice\n.*\nSSL connection \(protocol: TLSv1\.[23]/s, 'SCRAM over TLS');
($rc, $out, $err) = psql_as($scram, 'select 1', 'alice', 'wrong', sslmode => 'require');
like($err, qr/FATAL:  password authentication failed for user "alice"/, 'SCRAM over TLS: a wrong password is refused');
($rc, $out, $err) = psql_as($scram, 'select 1', 'alice', 'secret', sslmode => 'require', channel_binding => 'require');
is($out, '1', 'SCRAM over TLS with channel_binding=require (SCRAM-SHA-256-PLUS)')
  or diag($err);

# ---------------------------------------------------------------- md5

my $md5 = DoSQL::Test::ServerNode->new_shard('md5', args => [ '--auth', 'md5', '--passwd-file', $passwd ]);
$md5->start;

($rc, $out, $err) = psql_as($md5, 'select current_user', 'bob', 'secret');
is($out, 'bob', 'md5: the right password logs in');
($rc, $out, $err) = psql_as($md5, 'select 1', 'bob', 'wrong', sslmode => 'disable');
is($rc, 2, 'md5: a wrong password is refused');
like($err, qr/FATAL:  password authentication failed for user "bob"/, 'md5: refusal message');
$r = raw_login($md5, 'bob', 'wrong');
is_deeply($r->{methods}, ['md5'], 'md5: the server asks for an MD5 password');
is_auth_failure($r, 'bob', 'md5: a wrong password is FATAL 28P01');
is_auth_failure(raw_login($md5, 'mallory', 'secret'), 'mallory', 'md5: an unknown user is FATAL 28P01');
# a SCRAM verifier cannot answer an MD5 challenge: PostgreSQL uses SCRAM
($rc, $out, $err) = psql_as($md5, 'select current_user', 'alice', 'secret', sslmode => 'disable');
is($out, 'alice', 'md5: a user with a SCRAM verifier logs in with the right password')
  or diag($err);
$r = raw_login($md5, 'alice', 'secret');
is_deeply([ $r->{methods}, $r->{ok} ], [ ['scram'], 1 ], 'md5: a user with a SCRAM verifier logs in with SCRAM');

# ---------------------------------------------------------------- password

my $pw = DoSQL::Test::ServerNode->new_shard('password', args => [ '--auth', 'password', '--passwd-file', $passwd ]);
$pw->start;

($rc, $out, $err) = psql_as($pw, 'select current_user', 'alice', 'secret');
is($out, 'alice', 'password: the right password logs in (SCRAM verifier)');
($rc, $out, $err) = psql_as($pw, 'select current_user', 'bob', 'secret');
is($out, 'bob', 'password: the right password logs in (md5 secret)');
($rc, $out, $err) = psql_as($pw, 'select 1', 'alice', 'wrong', sslmode => 'disable');
like($err, qr/FATAL:  password authentication failed for user "alice"/, 'password: a wrong password is refused');
$r = raw_login($pw, 'alice', 'wrong');
is_deeply($r->{methods}, ['password'], 'password: the server asks for a cleartext password');
is_auth_failure($r, 'alice', 'password: a wrong password is FATAL 28P01');
is_auth_failure(raw_login($pw, 'mallory', 'secret'), 'mallory', 'password: an unknown user is FATAL 28P01');

# ---------------------------------------------------------------- config file

my $conf_node = DoSQL::Test::ServerNode->new_shard('conf');
my $conf = $conf_node->basedir . '/shard.conf';
write_file($conf, <<"EOF");
# settings of a shard with TLS and SCRAM
auth = scram-sha-256
passwd-file = $passwd

ssl-cert = "$cert"
ssl-key = $key
busy-timeout = 2000
EOF
$conf_node->start('--config', $conf);

($rc, $out, $err) = psql_as($conf_node, "select current_user;\n\\conninfo", 'alice', 'secret', sslmode => 'require');
like($out, qr/^alice\n.*\nSSL connection \(protocol: TLSv1\.[23]/s, 'config file: SCRAM over TLS');
is_auth_failure(raw_login($conf_node, 'alice', 'wrong'), 'alice', 'config file: a wrong password is FATAL 28P01');

my $bad_dir = $conf_node->basedir;
my $bad = "$bad_dir/bad.conf";
write_file($bad, "auth = md5\npasswd-file = $passwd\nthis line has no equals sign\n");
my $timed_out;
($rc, $out, $timed_out) = run_shard($bad_dir, '--config', $bad);
ok(!$timed_out && $rc != 0, 'config file: a line without "=" stops the shard from starting');
like($out, qr/\Q$bad\E:3: expected "name = value"/, 'config file: the error names file:line');

write_file($bad, "# comment\nauth = md5\nautth = md5\n");
($rc, $out, $timed_out) = run_shard($bad_dir, '--config', $bad);
ok(!$timed_out && $rc != 0, 'config file: an unknown setting stops the shard from starting');
like($out, qr/\Q$bad\E:3: unknown setting "autth"/, 'config file: the unknown setting is named with file:line');

write_file($bad, "busy-timeout = soon\n");
($rc, $out, $timed_out) = run_shard($bad_dir, '--config', $bad);
ok(!$timed_out && $rc != 0, 'config file: a bad number stops the shard from starting');
like($out, qr/\Q$bad\E:1: .*"busy-timeout"/, 'config file: the bad value is named with file:line');

($rc, $out, $timed_out) = run_shard($bad_dir, '--config', "$bad_dir/nosuch.conf");
ok(!$timed_out && $rc != 0, 'a missing config file stops the shard from starting');
like($out, qr/\Q$bad_dir\E\/nosuch\.conf: No such file or directory/, 'a missing config file is named');

# ---------------------------------------------------------------- refusals

($rc, $out, $timed_out) = run_shard($bad_dir, '--auth', 'scram-sha-256');
ok(!$timed_out && $rc != 0, '--auth scram-sha-256 without --passwd-file refuses to start');
like($out, qr/--auth scram-sha-256 needs --passwd-file/, 'the refusal says a passwd file is needed');

($rc, $out, $timed_out) = run_shard($bad_dir, '--auth', 'scram-sha-256', '--passwd-file', "$bad_dir/nosuch.passwd");
ok(!$timed_out && $rc != 0, 'a passwd file that does not exist refuses to start');
like($out, qr/\Q$bad_dir\E\/nosuch\.passwd: No such file or directory/, 'the missing passwd file is named');

write_file("$bad_dir/plain.passwd", "alice:secret\n");
($rc, $out, $timed_out) = run_shard($bad_dir, '--auth', 'scram-sha-256', '--passwd-file', "$bad_dir/plain.passwd");
ok(!$timed_out && $rc != 0, 'a plaintext password in the passwd file refuses to start');
like($out, qr/\Q$bad_dir\E\/plain\.passwd:1: /, 'the bad passwd line is named with file:line');

($rc, $out, $timed_out) = run_shard($bad_dir, '--ssl-cert', $cert);
ok(!$timed_out && $rc != 0, '--ssl-cert without --ssl-key refuses to start');
like($out, qr/--ssl-cert and --ssl-key go together/, 'the refusal says both are needed');

($rc, $out, $timed_out) = run_shard($bad_dir, '--ssl-cert', "$bad_dir/nosuch.pem", '--ssl-key', $key);
ok(!$timed_out && $rc != 0, 'an unreadable certificate refuses to start');
like($out, qr/nosuch\.pem/, 'the certificate file is named');

($rc, $out, $timed_out) = run_shard($bad_dir, '--auth', 'kerberos', '--passwd-file', $passwd);
ok(!$timed_out && $rc != 0, 'an unknown auth method refuses to start');
like($out, qr/unknown auth method "kerberos"/, 'the unknown auth method is named');

is(join("\n", @sanitizer_reports), '', 'refusals to start leave no sanitizer report');

done_testing();
