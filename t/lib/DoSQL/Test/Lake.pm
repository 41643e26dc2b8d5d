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
warehouse: F<warehouse> in the cluster's directory; an HTTP port of its own;
the settings given; C<node_name> names a second sink of the cluster, with
its own configuration file and warehouse) and makes the node (C<< $lake->node >>).  C<read> runs
F<t/lake_js/read.mjs> (DuckDB and icebird, npm, installed on first use) and
returns its decoded output.

=cut

use strict;
use warnings;
use File::Copy ();
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

sub read
{
	my ($self, $spec) = @_;
	my $modules = DoSQL::Test::Npm::modules('lake_js');
	my $repo = $DoSQL::Test::ServerNode::repo_dir;
	# an ES module finds its packages from where it is: next to node_modules
	File::Copy::copy("$repo/t/lake_js/read.mjs", "$modules/../read.mjs") or die "copy read.mjs: $!";
	my ($rc, $out, $err) = run_command([ 'node', "$modules/../read.mjs", encode_json($spec) ], timeout => 120);
	is($rc, 0, 'DuckDB and icebird read the warehouse') or diag($err);
	return eval { decode_json($out) } // { duckdb => [], iceberg => [], mirror => [] };
}

=pod

=back

=cut

1;
