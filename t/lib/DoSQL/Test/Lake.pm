package DoSQL::Test::Lake;

=pod

=head1 NAME

DoSQL::Test::Lake - dosql-lake next to a test cluster, and the readers of its warehouse

=head1 SYNOPSIS

  use DoSQL::Test::Lake;
  my $lake = DoSQL::Test::Lake->new($cluster, flushThresholdEvents => 40);
  my $other = DoSQL::Test::Lake->new($cluster, node_name => 'mirror', slot => 'dolake_m', mode => 'mirror');
  $lake->start('lake-after-parquet');   # DOSQL_FAULT for this start, or undef
  $lake->configure(flushThresholdEvents => 5);   # settings for the next start
  $lake->all_confirmed('after the restart');
  my $res = $lake->read({ duckdb => [...], iceberg => [...], mirror => [...] });

C<new> writes the sink's configuration (source: the cluster's router;
warehouse: F<warehouse> in the cluster's directory unless given; an HTTP
port of its own; the settings given; C<node_name> names a second sink of
the cluster, with its own configuration file and warehouse) and makes the
node (C<< $lake->node >>).

  my $s3 = DoSQL::Test::Lake::start_s3('lakes3', 'lake');  # s3rver, bucket "lake"
  my $lake = DoSQL::Test::Lake->new($cluster, warehouse => 's3://lake/wh', s3 => $s3->{settings});
  my ($status, $body) = DoSQL::Test::Lake::s3_request($s3, 'GET', 'wh/dosql/t/metadata/v1.metadata.json');
  my @keys = DoSQL::Test::Lake::s3_keys($s3, 'wh/dosql/t/data/');   # keys with that prefix
  DoSQL::Test::Lake::s3_download($s3, $dir);   # every object of the bucket, to $dir

C<start_s3> starts s3rver (npm, F<t/lake_js/s3rver.mjs>) on a port of its
own; its requests are signed by curl (AWS Signature Version 4).  C<read> runs
F<t/lake_js/read.mjs> (DuckDB and icebird, npm, installed on first use) and
returns its decoded output.

=cut

use strict;
use warnings;
use Digest::SHA ();
use File::Copy ();
use File::Path ();
use JSON::PP;
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::Npm;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Utils qw(run_command poll_until write_file);

sub new
{
	my ($class, $cluster, %settings) = @_;
	# a second sink on one cluster: its own node name, slot and warehouse
	my $name = delete $settings{node_name} // 'sink';
	my $self = bless {
		cluster => $cluster,
		warehouse => $settings{warehouse} // $cluster->basedir . ($name eq 'sink' ? '/warehouse' : "/warehouse_$name"),
		slot => $settings{slot} // 'dolake',
		http_port => DoSQL::Test::ServerNode::reserve_port(),
	}, $class;
	my $config = $cluster->basedir . ($name eq 'sink' ? '/lake.json' : "/lake_$name.json");
	$self->{config} = $config;
	$self->{settings} = {
		source => $cluster->router->connstr,
		warehouse => $self->{warehouse},
		http => { host => '127.0.0.1', port => $self->{http_port} },
		%settings,
	};
	write_file($config, encode_json($self->{settings}));
	$self->{node} = DoSQL::Test::ServerNode->new($cluster->name . "_$name",
		command => [ "$DoSQL::Test::ServerNode::bindir/dosql-lake", '--config', $config ],
		ready => 'none');
	return $self;
}

sub node { return $_[0]->{node}; }

# Changes settings of the configuration file (for the next start).
sub configure
{
	my ($self, %settings) = @_;
	$self->{settings} = { %{ $self->{settings} }, %settings };
	write_file($self->{config}, encode_json($self->{settings}));
}

sub warehouse { return $_[0]->{warehouse}; }
sub http_port { return $_[0]->{http_port}; }

=pod

=over

=item start($fault)

Starts the sink (with C<DOSQL_FAULT=$fault> when given) and passes when its
log says it streams.

=cut

sub start
{
	my ($self, $fault) = @_;
	my $node = $self->{node};
	$node->setenv('DOSQL_FAULT', $fault);
	my $pos = $node->log_position;
	$node->start;
	ok($node->wait_for_log(qr/dosql-lake: streaming/, $pos), 'the sink streams' . ($fault ? " (to die at $fault)" : ''))
	  or diag($node->log_tail);
}

=pod

=item all_confirmed($what)

Passes when the router's SHOW SLOTS says the sink's slot has no change left
unconfirmed (the sink confirms only what its snapshots hold).

=cut

sub all_confirmed
{
	my ($self, $what) = @_;
	my $router = $self->{cluster}->router;
	# SHOW SLOTS: slot_name|plugin|active|active_pid|confirmed|sent|lag_bytes|pending_changes
	# (a poll that meets an error, a shard the router reconnects to, asks again)
	my ($rc, $out, $err);
	ok(poll_until(sub { ($rc, $out, $err) = $router->psql('show slots'); $rc == 0 && $out =~ /^\Q$self->{slot}\E\|pgoutput\|t\|.*\|0$/m }),
		"$what: the sink confirmed every change")
	  or diag("show slots: $out$err\n" . $self->{node}->log_tail);
}

=pod

=item read(\%spec)

The warehouse read by DuckDB and icebird (see F<t/lake_js/read.mjs>); a
failed run fails a test and returns empty results.

=cut

# The path of script (of t/lake_js/) next to the installed packages: an ES
# module finds its packages from where it is.  Tests running at the same
# time share that directory, so the script is put in place by a rename: a
# copy over it would truncate the script another test's node is loading,
# which then runs an empty module (exit status 0, no output).
sub _lake_js
{
	my ($script) = @_;
	my $modules = DoSQL::Test::Npm::modules('lake_js');
	my $repo = $DoSQL::Test::ServerNode::repo_dir;
	my $tmp = "$modules/../.$script.$$";
	File::Copy::copy("$repo/t/lake_js/$script", $tmp) or die "copy $script: $!";
	rename($tmp, "$modules/../$script") or die "rename $tmp: $!";
	return "$modules/../$script";
}

sub read
{
	my ($self, $spec) = @_;
	my $script = _lake_js('read.mjs');
	my ($rc, $out, $err) = run_command([ 'node', $script, encode_json($spec) ], timeout => 120);
	my $res = eval { decode_json($out) };
	ok($rc == 0 && ref($res) eq 'HASH', 'DuckDB and icebird read the warehouse')
	  or diag("exit status $rc\nstdout: $out\nstderr: $err");
	return $res // { duckdb => [], iceberg => [], mirror => [] };
}

=pod

=item create_types_table($router), insert_types($router), parquet_types()

The table C<ty> with a column of every common type, three rows of it
(edge values, then nulls), and the type DuckDB reads back for each column
of a changelog table of it (the Parquet logical types).

=cut

sub create_types_table
{
	my ($router) = @_;
	$router->safe_psql('create table ty (id int primary key, i2 smallint, i8 bigint, n numeric(12,3), nu numeric,'
		  . ' f8 double precision, t text, vc varchar(20), b bool, d date, ts timestamp, tz timestamptz, u uuid,'
		  . ' by bytea, js jsonb)');
}

sub insert_types
{
	my ($router) = @_;
	$router->safe_psql(q{insert into ty values
	(1, -32768, 9007199254740993, 1.5, 123456789.000001, 2.5, 'it''s', 'abc', true, '2024-02-29',
	 '2024-01-02 03:04:05.123456', '2024-02-29 23:59:59.5+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
	 '\x0102ff', '{"b": [1, 2], "a": "x"}'),
	(2, 7, -5, -0.125, 'NaN', -0.5, '', null, false, '1999-12-31', '2000-01-01 00:00:00', '1970-01-01 00:00:00+00',
	 '00000000-0000-0000-0000-000000000000', '\x', '[]'),
	(3, null, null, null, null, null, null, null, null, null, null, null, null, null, null)});
}

sub parquet_types
{
	return {
		_op => 'VARCHAR', _lsn => 'BIGINT', _seq => 'BIGINT', _commit_ts => 'TIMESTAMP WITH TIME ZONE', _xid => 'BIGINT',
		id => 'INTEGER', i2 => 'SMALLINT', i8 => 'BIGINT', n => 'DECIMAL(12,3)', nu => 'VARCHAR', f8 => 'DOUBLE',
		t => 'VARCHAR', vc => 'VARCHAR', b => 'BOOLEAN', d => 'DATE', ts => 'TIMESTAMP',
		tz => 'TIMESTAMP WITH TIME ZONE', u => 'UUID', by => 'BLOB', js => 'JSON' };
}

=pod

=item workload_cluster($name)

A started cluster of four shards with the tables of C<crash_workload>
(C<acct> and C<tr>, sharded by id); returns it and its router.

=cut

sub workload_cluster
{
	my ($name) = @_;
	my $c = DoSQL::Test::Cluster->new($name,
		shards => 4,
		tables => {
			acct => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
			tr => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		});
	$c->start;
	my $router = $c->router;
	$router->safe_psql('create table acct (id int primary key, bal bigint not null, note text, at timestamptz)');
	$router->safe_psql('create table tr (id int primary key, v text)');
	return ($c, $router);
}

=pod

=item crash_workload($router, $middle)

The workload the lake tests share, on tables C<acct (id int primary key,
bal bigint not null, note text, at timestamptz)> and C<tr (id int primary
key, v text)>: inserts over several shards, updates, deletes, a two-phase
transaction over both tables, a row inserted, updated and deleted in one
flush, keys that move, a key deleted and inserted again, a TRUNCATE; the
sink is killed at each crash point of the test build and with SIGKILL,
and started again.  C<< $middle->($insert) >>, when given, runs after the
second restart with the sink running (C<< $insert->($n) >> inserts n
accounts).  Ends with every change confirmed.

=cut

sub crash_workload
{
	my ($self, $router, $middle) = @_;
	my $sink = $self->{node};
	my $next = 1;
	my $insert = sub {
		my ($n) = @_;
		my @ids = ($next .. $next + $n - 1);
		$next += $n;
		$router->safe_psql('insert into acct (id, bal, note, at) values '
			  . join(', ', map { "($_, " . ($_ * 10) . ", 'n$_', '2024-03-0" . ($_ % 9 + 1) . " 10:00:00+00')" } @ids));
	};

	$self->start('lake-after-parquet');
	$insert->(25) for 1 .. 3;
	$router->safe_psql(q{insert into tr values (1, 'a'), (2, 'b'), (3, 'c')});
	ok($sink->wait_exit, 'the sink died after its Parquet files, before the commit');
	$self->start(undef);
	$self->all_confirmed('after the restart');

	$sink->kill9;
	$self->start('lake-after-table-commit');
	$router->safe_psql('update acct set bal = bal + 1 where id % 3 = 0');
	$router->safe_psql('delete from acct where id % 5 = 0');
	$router->safe_psql(q{begin;
		update acct set bal = bal - 100, note = 'paid' where id = 1;
		update acct set bal = bal + 100 where id = 2;
		delete from tr where id = 2;
		insert into tr values (4, 'd');
		commit});
	ok($sink->wait_exit, 'the sink died between two tables\' commits');
	$self->start(undef);
	$self->all_confirmed('after the second restart');
	$middle->($insert) if $middle;

	$sink->kill9;
	$self->start('lake-before-confirm');
	# a row inserted, updated and deleted in one flush; a key that moves
	$router->safe_psql(q{insert into acct (id, bal) values (500, 1)});
	$router->safe_psql(q{update acct set bal = 2 where id = 500});
	$router->safe_psql(q{delete from acct where id = 500});
	$router->safe_psql('update acct set id = 1000 where id = 7');
	$router->safe_psql('update acct set id = 1001, note = null where id = 8');
	$insert->(5);
	ok($sink->wait_exit, 'the sink died after its commits, before confirming them');
	$self->start(undef);
	# a key deleted and inserted again, a TRUNCATE and rows after it
	$router->safe_psql(q{delete from acct where id = 3});
	$router->safe_psql(q{insert into acct (id, bal, note) values (3, 33, 'again')});
	$router->safe_psql('truncate tr');
	$router->safe_psql(q{insert into tr values (10, 'after truncate')});
	$sink->kill9;
	$self->start(undef);
	$insert->(3);
	$self->all_confirmed('at the end');
}

=pod

=item check_mirror($router, $partition)

After C<crash_workload> in mirror mode: icebird (applying the equality
deletes itself) and DuckDB SQL over the data and delete files (a delete
removes the rows of older files with its key) read exactly the router's
tables C<acct> and C<tr>; the primary key is the identifier field; the
partition spec's fields are C<< $partition->($id_field_id) >> (C<[]>
unpartitioned).  Returns the read's result.

=cut

sub check_mirror
{
	my ($self, $router, $partition) = @_;
	my $w = $self->{warehouse};
	my $res = $self->read({
		iceberg => [ "file://$w/dosql/acct", "file://$w/dosql/tr" ],
		mirror => [
			{ table => "file://$w/dosql/acct", key => 'id',
			  select => q{cast(d.id as varchar) || '|' || cast(d.bal as varchar) || '|' || coalesce(d.note, 'NULL') || '|' || coalesce(cast(d.at as varchar), 'NULL')} },
			{ table => "file://$w/dosql/tr", key => 'id', select => q{cast(d.id as varchar) || '|' || d.v} },
		],
	});
	my %want = (
		acct => [ split /\n/, $router->safe_psql(q{select id || '|' || bal || '|' || coalesce(note, 'NULL') || '|' || coalesce(at::text, 'NULL') from acct order by id}) ],
		tr => [ split /\n/, $router->safe_psql(q{select id || '|' || v from tr order by id}) ],
	);
	ok(@{ $want{acct} } > 50, scalar(@{ $want{acct} }) . ' rows of acct at the router');
	my $i = 0;
	for my $t (qw(acct tr))
	{
		my @got = map { $_->{r} } @{ $res->{mirror}[$i] // [] };
		is_deeply(\@got, $want{$t}, "DuckDB, equality deletes applied in SQL: $t is the router's table")
		  or diag(explain({ got => \@got, want => $want{$t} }));
		my $ice = $res->{iceberg}[$i] // {};
		my @ids = sort { $a <=> $b } map { $_->{id} } @{ $ice->{rows} // [] };
		is_deeply(\@ids, [ map { (split /\|/)[0] } @{ $want{$t} } ], "icebird: $t has the router's keys, each once");
		my $meta = $ice->{metadata} // {};
		my ($schema) = grep { $_->{'schema-id'} == ($meta->{'current-schema-id'} // -1) } @{ $meta->{schemas} // [] };
		my ($id_field) = grep { $_->{name} eq 'id' } @{ $schema->{fields} // [] };
		is_deeply($schema->{'identifier-field-ids'}, [ $id_field->{id} ], "$t: the primary key is the identifier field");
		is_deeply($meta->{'partition-specs'}[0]{fields}, $partition->($id_field->{id}), "$t: its partition spec");
		$i++;
	}
	my ($bal1) = map { $_->{bal} } grep { $_->{id} == 1 } @{ $res->{iceberg}[0]{rows} // [] };
	is($bal1, $router->safe_psql('select bal from acct where id = 1'), 'icebird: a row updated by the two-phase transaction');
	return $res;
}

=pod

=item start_s3($name, $bucket, $mode)

Starts s3rver with one bucket on a loopback port (stopped with the other
nodes at the end); with C<$mode> C<conditional> it honours If-None-Match
on PUT as AWS S3 does (see F<t/lake_js/s3rver.mjs>); returns C<< { node, bucket, endpoint, settings } >>
where C<settings> is the sink's C<s3> setting for it.

=cut

sub start_s3
{
	my ($name, $bucket, $mode) = @_;
	my $script = _lake_js('s3rver.mjs');
	my $node = DoSQL::Test::ServerNode->new($name,
		command => sub { my ($n) = @_; return ('node', $script, $n->port, $n->data_dir, $bucket, $mode // ()); },
		ready => 'tcp');
	$node->start;
	my $endpoint = 'http://127.0.0.1:' . $node->port;
	return {
		node => $node,
		bucket => $bucket,
		endpoint => $endpoint,
		settings => { endpoint => $endpoint, region => 'us-east-1', accessKeyId => 'S3RVER',
			secretAccessKey => 'S3RVER', pathStyle => JSON::PP::true },
	};
}

=pod

=item s3_request($s3, $method, $key, $body, $query)

One request to the bucket of C<start_s3> (with curl, signed); returns the
HTTP status and the body.

=cut

sub s3_request
{
	my ($s3, $method, $key, $body, $query) = @_;
	$body //= '';
	my $sha = Digest::SHA::sha256_hex($body);
	my $url = "$s3->{endpoint}/$s3->{bucket}/$key" . (defined $query ? "?$query" : '');
	my @put = $method eq 'PUT' ? ('--data-binary', '@-', '-H', 'Content-Type: application/octet-stream') : ();
	# HEAD with -I: curl -X HEAD would wait for a body
	my @method = $method eq 'HEAD' ? ('-I') : ('-X', $method);
	my ($rc, $out, $err) = run_command([ 'curl', '-sS', @method, '--aws-sigv4', 'aws:amz:us-east-1:s3',
		'--user', 'S3RVER:S3RVER', '-H', "x-amz-content-sha256: $sha", @put, '-w', '\n%{http_code}', $url ],
		stdin => $body, timeout => 60);
	die "curl $method $url: $err" if $rc != 0;
	$out =~ s/\n(\d+)\z//s or die "curl $method $url: no status";
	return ($1, $out);
}

=pod

=item s3_keys($s3, $prefix)

The keys of the bucket's objects that begin with C<$prefix> (all without
it), listed with ListObjectsV2.

=cut

sub s3_keys
{
	my ($s3, $prefix) = @_;
	my ($token, @keys);
	while (1)
	{
		my $q = (defined $token ? 'continuation-token=' . _uri_escape($token) . '&' : '') . 'list-type=2'
		  . (defined $prefix ? '&prefix=' . _uri_escape($prefix) : '');
		my ($status, $xml) = s3_request($s3, 'GET', '', undef, $q);
		die "list $s3->{bucket}: HTTP $status $xml" if $status != 200;
		push @keys, $xml =~ m{<Key>([^<]*)</Key>}g;
		($token) = $xml =~ m{<NextContinuationToken>([^<]*)</NextContinuationToken>};
		last unless $xml =~ m{<IsTruncated>true</IsTruncated>} && defined $token;
	}
	return @keys;
}

=pod

=item s3_download($s3, $dir, $prefix)

Copies every object of the bucket (whose key begins with C<$prefix> when
given) to C<$dir> (the key's path under it); returns how many.

=cut

sub s3_download
{
	my ($s3, $dir, $prefix) = @_;
	my $n = 0;
	for my $key (s3_keys($s3, $prefix))
	{
		my ($st, $data) = s3_request($s3, 'GET', $key);
		die "get $key: HTTP $st" if $st != 200;
		(my $sub = "$dir/$key") =~ s{/[^/]*\z}{};
		File::Path::make_path($sub);
		write_file("$dir/$key", $data);
		$n++;
	}
	return $n;
}

sub _uri_escape
{
	my ($s) = @_;
	$s =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord($1))/ge;
	return $s;
}

=pod

=back

=cut

1;
