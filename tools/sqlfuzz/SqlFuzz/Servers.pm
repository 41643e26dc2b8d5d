package SqlFuzz::Servers;

=pod

=head1 NAME

SqlFuzz::Servers - the servers the randomized differential tester compares:
PostgreSQL 15, one dosql-shard, and a router over two shards with every
table of the tester sharded by id

=head1 SYNOPSIS

  my $s = SqlFuzz::Servers->start;
  my $run = SqlFuzz::Runner->new(postgres => $s->{dbh}{postgres},
      targets => { shard => $s->{dbh}{shard}, router => $s->{dbh}{router} },
      alive => sub { $s->alive($_[0]) }, reconnect => sub { $s->restart($_[0]) });

The servers are those of the test harness (t/lib): C<DOSQL_BINDIR> says
which build of DoSQL runs, and they stop when the process exits.

=cut

use strict;
use warnings;
use DBI;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Oracle;
use SqlFuzz::Grammar;
use SqlFuzz::Runner;

sub start
{
	my ($class, %o) = @_;
	my $self = bless {}, $class;
	$self->{oracle} = DoSQL::Test::Oracle->start;
	$self->{cluster} = DoSQL::Test::Cluster->new('fz', shards => $o{shards} // 2,
		tables => { map { $_->{table} => { column_vindexes => [ { column => 'id', name => 'hash' } ] } } @SqlFuzz::Grammar::families });
	$self->{cluster}->start;
	$self->{shard} = DoSQL::Test::ServerNode->new_shard('fz_single');
	$self->{shard}->start;
	$self->{dbh}{postgres} = $self->_connect('postgres');
	$self->{dbh}{$_} = $self->_connect($_) for qw(shard router);
	return $self;
}

sub _connect
{
	my ($self, $name) = @_;
	my $dsn;
	if ($name eq 'postgres')
	{
		$dsn = $self->{oracle}->dsn;
		my $dbh = DBI->connect($dsn, 'postgres', '', { %SqlFuzz::Runner::dbi_attrs }) or die "postgres: $DBI::errstr";
		$dbh->do(q{SET statement_timeout = '20s'});
		return $dbh;
	}
	my $node = $name eq 'shard' ? $self->{shard} : $self->{cluster}->router;
	$dsn = 'dbi:Pg:host=' . $node->host . ';port=' . $node->port . ';dbname=dosql';
	my $dbh = DBI->connect($dsn, 'dosql', '', { %SqlFuzz::Runner::dbi_attrs }) or die "$name: $DBI::errstr";
	$dbh->do($_) for @SqlFuzz::Runner::session_settings;
	return $dbh;
}

# The nodes a target's answers depend on.
sub nodes
{
	my ($self, $name) = @_;
	return ($self->{shard}) if $name eq 'shard';
	return ($self->{cluster}->router, $self->{cluster}->shards);
}

# True if every process behind target $name runs.
sub alive
{
	my ($self, $name) = @_;
	return !grep { !$_->is_running } $self->nodes($name);
}

# Starts the processes of target $name that stopped and connects again.
sub restart
{
	my ($self, $name) = @_;
	for my $node ($self->nodes($name))
	{
		$node->start unless $node->is_running;
	}
	$self->{dbh}{$name} = $self->_connect($name);
	return $self->{dbh}{$name};
}

1;
