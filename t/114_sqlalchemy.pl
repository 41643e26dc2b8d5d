# SQLAlchemy (Debian's python3-sqlalchemy over psycopg2) through the router,
# against the same script run on a real PostgreSQL 15: create_all (DDL in
# one transaction on every shard), ORM inserts, reads, updates, deletes,
# rollback and a unique violation, reflection (columns, primary key,
# indexes, unique constraints, foreign keys, an autoloaded Table) and
# drop_all.  Every check must give what PostgreSQL gives.
#
# The checks are in t/py/sqlalchemy_clients.py.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Checks qw(run_checks compare_checks);
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Oracle;
use DoSQL::Test::Utils qw(run_command);
use DoSQL::Test::Deps qw(require_dependency python_module_missing);

require_dependency(python_module_missing('sqlalchemy', 'python3-sqlalchemy'),
	python_module_missing('psycopg2', 'python3-psycopg2'), DoSQL::Test::Oracle::unavailable());
my $python = $DoSQL::Test::Deps::python;
my $script = "$DoSQL::Test::ServerNode::repo_dir/t/py/sqlalchemy_clients.py";

my $oracle = DoSQL::Test::Oracle->start;
my ($expected, $order) = run_checks('PostgreSQL 15',
	[ $python, $script, 'postgresql+psycopg2://postgres@/postgres?host=' . $oracle->dir . '&port=' . $oracle->port ]);
ok(@$order >= 14, 'PostgreSQL answered every check (' . scalar(@$order) . ')');
$oracle->stop;

my $c = DoSQL::Test::Cluster->new('sqla', shards => 4,
	tables => { sa_books => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		sa_authors => { type => 'reference' } });
$c->start;
my $router = $c->router;
my ($got) = run_checks('the router',
	[ $python, $script, 'postgresql+psycopg2://dosql@127.0.0.1:' . $router->port . '/dosql' ]);
compare_checks($expected, $order, $got);
is(join(',', map { $_->safe_psql(q{select count(*) from pg_class where relname = 'sa_books'}) } $c->shards), '0,0,0,0',
	'drop_all dropped the tables on every shard');

$c->stop;
done_testing();
