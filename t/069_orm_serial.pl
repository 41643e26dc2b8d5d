# SQLAlchemy's ORM (t/py/sqlalchemy_serial.py) on tables sharded by a
# bigserial and by an identity id: the ids the ORM gets back, in single and
# bulk inserts, reads by id and nextval are what PostgreSQL 15 gives (in
# shape: a transaction that needs a sequence's first block while it holds
# the first shard's writes fails with 40001 once and is retried, as
# clients retry serialization failures, leaving a gap).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Oracle;
use DoSQL::Test::Utils qw(run_command);
use DoSQL::Test::Deps qw(require_dependency python_module_missing);

require_dependency(python_module_missing('sqlalchemy', 'python3-sqlalchemy'),
	python_module_missing('psycopg2', 'python3-psycopg2'), DoSQL::Test::Oracle::unavailable());
my $python = $DoSQL::Test::Deps::python;
my $script = "$DoSQL::Test::ServerNode::repo_dir/t/py/sqlalchemy_serial.py";

my $oracle = DoSQL::Test::Oracle->start;
my ($rc, $want, $err) = run_command([ $python, $script,
	'postgresql+psycopg2://postgres@/postgres?host=' . $oracle->dir . '&port=' . $oracle->port ]);
is($rc, 0, 'the script runs against PostgreSQL') or diag($err);
$oracle->stop;

my $c = DoSQL::Test::Cluster->new('orms', shards => 4,
	tables => { orm_events => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		orm_tickets => { column_vindexes => [ { column => 'id', name => 'hash' } ] } });
$c->start;
my ($rc2, $got, $err2) = run_command([ $python, $script, 'postgresql+psycopg2://dosql@127.0.0.1:' . $c->router->port . '/dosql' ]);
is($rc2, 0, 'and through the router') or diag($err2);
my @want = split /\n/, $want;
my @got = split /\n/, $got;
ok(@want >= 6, 'PostgreSQL answered every check');
for my $i (0 .. $#want) {
	my ($name) = split / /, $want[$i];
	is($got[$i] // '(none)', $want[$i], "check $name");
}
$c->stop;
done_testing();
