package DoSQL::Test::Cluster;

=pod

=head1 NAME

DoSQL::Test::Cluster - a sharded DoSQL cluster started by a TAP test: the
shards and the router, as DoSQL::Test::ServerNode nodes

=head1 SYNOPSIS

  use DoSQL::Test::Cluster;
  my $c = DoSQL::Test::Cluster->new('c',
      shards => 2,
      tables => { t => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
  $c->start;                              # shards, then the router
  $c->router->safe_psql('INSERT INTO t VALUES (1)');
  is($c->shard('-80')->safe_psql('SELECT count(*) FROM t'), ...);
  $c->stop;

=head1 DESCRIPTION

C<< DoSQL::Test::Cluster->new($name, %opts) >> creates (but does not
start) a sharded cluster: one C<dosql-shard> node per shard and one router
node running C<$bindir/dosql --config FILE>. In the
cluster's directory (C<< $cluster->basedir >>) it writes C<vschema.json>
listing the shards (127.0.0.1 and their reserved ports), C<dosql.json>
(the router config: listen on the router node's port and unix socket
directory, C<shard_user> and C<shard_database> C<dosql>) and, unless auth is
C<trust>, C<passwd> (user C<dosql>, password C<dosql>, made with
C<$bindir/dosql-passwd>). The shards run with trust auth. Nodes are named
C<< <name>_shard_<shard> >> and C<< <name>_router >>, so their logs and
cleanup are those of every node.

Options:

=over

=item shards => N

Number of shards (1..256; default 4), named by keyspace-id ranges that
split the space evenly at one-byte boundaries: 4 gives C<-40>, C<40-80>,
C<80-c0>, C<c0->; 2 gives C<-80>, C<80->; 1 gives C<-> (the whole space).

=item shard_names => [NAME, ...]

The shard names instead (e.g. C<['0']> with
C<< vschema => { sharded => JSON::PP::false } >>).

=item tables => { NAME => ENTRY, ... }

The vschema's C<tables>; default none. The vschema also has the vindexes
C<hash> (type hash) and C<numeric> (type numeric).

=item vschema => { ... }

Top-level keys replacing those of the generated vschema (C<sharded>,
C<vindexes>, C<tables>, C<default_placement>, ...); C<shards> is the
harness's.

=item auth => 'trust' | 'password' | 'md5' | 'scram-sha-256'

The router's client authentication; default C<trust>. With any other, the
router node's C<connstr> carries C<password=dosql>.

=item router_args => [...]

Arguments after C<--config FILE> at every start of the router.

=item shard_args => [...]

Arguments added at every start of each shard (e.g. C<--busy-timeout 200>).
DOSQL_TEST_SHARD_ARGS in the environment adds more to every shard (e.g.
C<--row-locks 1>, to run a test with row locks).

=item router_config => { ... }

Top-level keys added to (or replacing those of) C<dosql.json>.

=item router_command => [argv...] | sub { ... }

Runs this instead of C<dosql --config FILE> (the C<command> of
C<< DoSQL::Test::ServerNode->new >>); the config files are written all
the same.

=item bindir => DIR

Where C<dosql>, C<dosql-shard> and C<dosql-passwd> are; default C<$DoSQL::Test::ServerNode::bindir>.

=back

The cluster's methods: C<name>, C<basedir>, C<vschema_file>,
C<config_file>, C<router> (its node), C<shards> (the shard nodes in keyspace
order), C<shard_names>, C<shard($name)> (the node of the shard of that
name; dies if there is none), C<start> (starts the shards, then the router,
each waiting until it accepts connections; dies if one does not) and
C<stop> (the router, then the shards; returns true if every process exited
with status 0).

=cut

use strict;
use warnings;

use Carp;
use File::Spec;
use JSON::PP ();

use DoSQL::Test::ServerNode;
use DoSQL::Test::Utils qw(run_command write_file);

sub new
{
	my ($class, $name, %opts) = @_;

	my %known = map { $_ => 1 }
	  qw(shards shard_names tables vschema auth router_args router_config
	  router_command bindir shard_args);
	my @unknown = grep { !$known{$_} } sort keys %opts;
	croak "DoSQL::Test::Cluster->new: unknown option(s): @unknown" if @unknown;

	my $bin = $opts{bindir} // $DoSQL::Test::ServerNode::bindir;
	my $auth = $opts{auth} // 'trust';
	croak "DoSQL::Test::Cluster->new: auth must be trust, password, md5 or scram-sha-256"
	  unless $auth =~ /^(trust|password|md5|scram-sha-256)$/;
	my @names = $opts{shard_names}
	  ? @{ $opts{shard_names} }
	  : _keyspace_ranges($opts{shards} // 4);
	croak "DoSQL::Test::Cluster->new: no shards" unless @names;
	croak "DoSQL::Test::Cluster->new: shard_names must be distinct"
	  if keys %{ { map { $_ => 1 } @names } } != @names;
	my %vs_extra = %{ $opts{vschema} // {} };
	croak "DoSQL::Test::Cluster->new: the vschema's shards are made by the harness"
	  if exists $vs_extra{shards};

	my $basedir = DoSQL::Test::ServerNode::claim_dir($name);

	my @shards = map {
		croak "DoSQL::Test::Cluster->new: unusable shard name \"$_\""
		  unless /^[A-Za-z0-9_.-]+$/;
		DoSQL::Test::ServerNode->new_shard("${name}_shard_$_", bindir => $bin, args => [ @{ $opts{shard_args} // [] }, split(' ', $ENV{DOSQL_TEST_SHARD_ARGS} // '') ])
	} @names;

	my $vschema = {
		sharded => JSON::PP::true,
		shards => [
			map { { name => $names[$_], host => $shards[$_]->host,
					port => $shards[$_]->port + 0 } } 0 .. $#names
		],
		vindexes => { hash => { type => 'hash' }, numeric => { type => 'numeric' } },
		tables => $opts{tables} // {},
		%vs_extra,
	};
	my $vschema_file = File::Spec->catfile($basedir, 'vschema.json');
	write_file($vschema_file,
		JSON::PP->new->canonical->pretty->encode($vschema));

	my $router_port = DoSQL::Test::ServerNode::reserve_port();
	my $router_name = "${name}_router";
	my $config_file = File::Spec->catfile($basedir, 'dosql.json');
	my @router_args = @{ $opts{router_args} // [] };
	my $command = $opts{router_command} // sub {
		my ($node, @extra) = @_;
		return ("$bin/dosql", '--config', $config_file, @router_args, @extra);
	};
	my $router = DoSQL::Test::ServerNode->new($router_name,
		command => $command,
		port => $router_port,
		($auth eq 'trust' ? () : (password => 'dosql')));

	my $config = {
		listen => { host => $router->host, port => $router_port + 0 },
		unix_socket_dir => $router->socket_dir,
		auth => $auth,
		vschema => 'vschema.json',
		shard_user => 'dosql',
		shard_database => 'dosql',
	};
	if ($auth ne 'trust')
	{
		my @argv = $auth eq 'md5'
		  ? ("$bin/dosql-passwd", '--md5', 'dosql', 'dosql')
		  : ("$bin/dosql-passwd", 'dosql');
		my ($rc, $out, $err) = run_command(\@argv);
		croak "@argv failed ($rc): $err" unless $rc == 0;
		chomp $out;
		write_file(
			File::Spec->catfile($basedir, 'passwd'), "dosql:$out\n");
		$config->{passwd_file} = 'passwd';
	}
	%$config = (%$config, %{ $opts{router_config} // {} });
	write_file($config_file,
		JSON::PP->new->canonical->pretty->encode($config));

	return bless {
		name => $name,
		basedir => $basedir,
		vschema_file => $vschema_file,
		config_file => $config_file,
		router => $router,
		shards => \@shards,
		shard_names => \@names,
	}, $class;
}

# Names of n shards splitting the keyspace evenly at one-byte boundaries.
sub _keyspace_ranges
{
	my ($n) = @_;
	croak "DoSQL::Test::Cluster->new: shards must be an integer 1..256"
	  unless defined $n && $n =~ /^\d+$/ && $n >= 1 && $n <= 256;
	my @bounds = map { int($_ * 256 / $n) } 0 .. $n;
	return map {
		($_ == 0 ? '' : sprintf('%02x', $bounds[$_])) . '-'
		  . ($_ == $n - 1 ? '' : sprintf('%02x', $bounds[ $_ + 1 ]))
	} 0 .. $n - 1;
}

sub name { return $_[0]->{name}; }
sub basedir { return $_[0]->{basedir}; }
sub vschema_file { return $_[0]->{vschema_file}; }
sub config_file { return $_[0]->{config_file}; }
sub router { return $_[0]->{router}; }
sub shards { return @{ $_[0]->{shards} }; }
sub shard_names { return @{ $_[0]->{shard_names} }; }

sub shard
{
	my ($self, $name) = @_;
	my ($i) = grep { $self->{shard_names}[$_] eq $name } 0 .. $#{ $self->{shard_names} };
	croak "cluster \"$self->{name}\" has no shard \"$name\"" unless defined $i;
	return $self->{shards}[$i];
}

# A DBI handle on the router (user and database dosql) with attributes
# \%attrs (default: errors returned, not raised; autocommit); dies when it
# cannot connect.
sub router_dbh
{
	my ($self, $attrs) = @_;
	require DBI;
	my $r = $self->{router};
	my $dbh = DBI->connect('dbi:Pg:host=' . $r->host . ';port=' . $r->port . ';dbname=dosql', 'dosql', '',
		$attrs // { RaiseError => 0, PrintError => 0, AutoCommit => 1 });
	croak "cannot connect to the router of \"$self->{name}\": $DBI::errstr" unless $dbh;
	return $dbh;
}

sub start
{
	my ($self) = @_;
	$_->start for grep { !$_->is_running } @{ $self->{shards} };
	$self->{router}->start unless $self->{router}->is_running;
	return 1;
}

sub stop
{
	my ($self) = @_;
	my $ok = 1;
	for my $node ($self->{router}, @{ $self->{shards} })
	{
		my $status = $node->stop;
		$ok = 0 if defined $status && $status != 0;
	}
	return $ok;
}

=pod

=item two_routers(tables => { NAME => ENTRY, ... })

Four shards (C<shard0> .. C<shard3>, keyspace -40 .. c0-) and two routers
(C<router1>, C<router2>, router ids r1 and r2, each with a data directory
of its own) over one VSchema with a hash vindex and these tables, all
started.  Returns C<< { dir => DIR, names => [...], shards => [...],
routers => [...] } >>: the directory of the VSchema, the shard names in
keyspace order, the shard nodes and the router nodes.

=cut

sub two_routers
{
	my (%opts) = @_;
	my @names = _keyspace_ranges(4);
	my @shards = map { DoSQL::Test::ServerNode->new_shard("shard$_") } 0 .. 3;
	my $dir = $shards[0]->basedir;
	my $vschema = {
		sharded => JSON::PP::true,
		shards => [ map { { name => $names[$_], host => '127.0.0.1', port => $shards[$_]->port + 0 } } 0 .. 3 ],
		vindexes => { hash => { type => 'hash' } },
		tables => $opts{tables} // {},
	};
	write_file("$dir/vschema.json", JSON::PP->new->canonical->pretty->encode($vschema));
	my @routers;
	for my $r (1, 2)
	{
		my $port = DoSQL::Test::ServerNode::reserve_port();
		mkdir "$dir/r$r";
		write_file("$dir/r$r.json", JSON::PP->new->canonical->encode({
			listen => { host => '127.0.0.1', port => $port + 0 }, auth => 'trust',
			vschema => 'vschema.json', router_id => "r$r", data_dir => "r$r" }));
		push @routers, DoSQL::Test::ServerNode->new("router$r", port => $port,
			command => [ "$DoSQL::Test::ServerNode::bindir/dosql", '--config', "$dir/r$r.json" ]);
	}
	$_->start for @shards;
	$_->start for @routers;
	return { dir => $dir, names => \@names, shards => \@shards, routers => \@routers };
}

1;
