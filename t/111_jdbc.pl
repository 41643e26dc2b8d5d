# The PostgreSQL JDBC driver (Debian's libpostgresql-jdbc-java, pgjdbc 42.5)
# through the router, against the same program run on a real PostgreSQL
# 15: every common type written by a PreparedStatement and read back by
# its getter (server-prepared with binary transfer after the fifth
# execution), reused prepared statements, fetch size in a transaction,
# batches over several shards (update counts, a failing batch leaves
# nothing), generated keys (RETURNING), transactions over several shards
# (commit, rollback, savepoint, 25P02), SQLSTATEs, ResultSetMetaData and
# DatabaseMetaData.  Every check must give what PostgreSQL gives, except
# the differences listed below.
#
# The checks are in t/java/JdbcChecks.java, compiled with javac into the
# test's temporary directory.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use File::Temp ();
use DoSQL::Test::Cluster;
use DoSQL::Test::ServerNode;
use DoSQL::Test::Checks qw(run_checks compare_checks check_shards);
use DoSQL::Test::Oracle;
use DoSQL::Test::Utils qw(run_command);
use DoSQL::Test::Deps qw(require_dependency program_missing file_missing);

my $jar = '/usr/share/java/postgresql.jar';
require_dependency(DoSQL::Test::Oracle::unavailable(), file_missing($jar, 'libpostgresql-jdbc-java'),
	program_missing([ 'javac', '-version' ], 'default-jdk-headless'));

my $classes = File::Temp::tempdir('dosql_jdbc_XXXXXX', TMPDIR => 1, CLEANUP => 1);
my ($rc, $out, $err) = run_command(
	[ 'javac', '-d', $classes, '-cp', $jar, "$DoSQL::Test::ServerNode::repo_dir/t/java/JdbcChecks.java" ],
	timeout => 120);
is($rc, 0, 'JdbcChecks.java compiles') or BAIL_OUT("javac: $out$err");
# the driver sends the JVM's zone as the session's TimeZone: one with a
# half-hour offset
my @java = ('java', '-Duser.timezone=Asia/Kolkata', '-cp', "$classes:$jar", 'JdbcChecks');

my $oracle = DoSQL::Test::Oracle->start(tcp => 1);
my ($expected, $order) = run_checks('PostgreSQL 15', [ @java, '127.0.0.1', $oracle->port, 'postgres', 'x', 'postgres' ]);
ok(@$order >= 40, 'PostgreSQL answered every check (' . scalar(@$order) . ')');
$oracle->stop;

# What DoSQL answers where it differs from PostgreSQL today: nothing.
my %differs = ();

my $c = DoSQL::Test::Cluster->new('jdbc', shards => 4, auth => 'scram-sha-256',
	tables => {
		jd_items => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		jd_gen => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		jd_serial => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
	});
$c->start;
my ($got) = run_checks('the router', [ @java, '127.0.0.1', $c->router->port, 'dosql', 'dosql', 'dosql' ]);
compare_checks($expected, $order, $got, differs => \%differs);
check_shards($c, 'jd_items');

$c->stop;
done_testing();
