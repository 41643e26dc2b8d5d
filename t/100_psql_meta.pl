# psql's meta-commands (\l, \dn, \dt, \d table, \d+ table, \di, \du, \df,
# \dv, \ds, \d ...) through the router give what PostgreSQL 15 gives for the
# same schema.  A real PostgreSQL 15 (the oracle) and a two-shard DoSQL
# cluster get the same tables (every common column type, NOT NULL, defaults,
# serial and bigserial, primary keys single and composite, UNIQUE column and
# table constraints, CHECK, a foreign key, secondary and multi-column
# indexes, a sequence); real psql runs each meta-command against both.
#
# So that owners compare equal, the oracle's objects belong to a superuser
# role named dosql in a database dosql with the C locale, as DoSQL's do.
# What honestly differs, and is compared only in part:
#   \l   PostgreSQL also lists postgres, template0 and template1 (DoSQL has
#        one database): only the dosql row and the header are compared.
#   \du  PostgreSQL also has its bootstrap superuser postgres: only the
#        dosql row and the header are compared.
#   \dt+ Size: PostgreSQL counts the pages of the heap and of its TOAST
#        table; a shard keeps no per-table sizes and says 0 bytes.
#   \db  the tablespaces' owner is PostgreSQL's bootstrap superuser
#        (postgres); DoSQL's is dosql.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DoSQL::Test::Cluster;
use DoSQL::Test::Oracle;
use DoSQL::Test::Utils qw(run_command);

my $oracle_missing = DoSQL::Test::Oracle::unavailable();
plan skip_all => $oracle_missing if $oracle_missing;

my $oracle = DoSQL::Test::Oracle->start;
my $cluster = DoSQL::Test::Cluster->new_cluster('meta', shards => 2,
	tables => {
		users => { column_vindexes => [ { column => 'id', name => 'hash' } ] },
		orders => { column_vindexes => [ { column => 'user_id', name => 'hash' } ] },
		countries => { type => 'reference' },
	});
$cluster->start;

my %conn = (
	postgres => 'host=' . $oracle->dir . ' port=' . $oracle->port . ' user=dosql dbname=dosql',
	dosql => 'host=' . $cluster->router->host . ' port=' . $cluster->router->port . ' user=dosql dbname=dosql',
);

# psql -X -c $cmd against one side: (exit code, stdout, stderr).
sub psql_on
{
	my ($side, $cmd, @flags) = @_;
	my ($rc, $out, $err) = run_command([ 'psql', '-X', @flags, '-d', $conn{$side}, '-c', $cmd ],
		env => { PGTZ => 'UTC', PGCLIENTENCODING => 'UTF8' });
	return ($rc, $out, $err);
}

my ($rc, $out, $err) = run_command(
	[
		'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
		'-d', 'host=' . $oracle->dir . ' port=' . $oracle->port . ' user=postgres dbname=postgres',
		'-c', 'CREATE ROLE dosql SUPERUSER CREATEROLE CREATEDB REPLICATION BYPASSRLS LOGIN',
		'-c', q{CREATE DATABASE dosql OWNER dosql TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'}
	]);
is($rc, 0, 'oracle: role and database dosql') or BAIL_OUT($err);

my $schema = <<'SQL';
CREATE SEQUENCE order_no_seq START 1000;
CREATE TABLE users (
  id serial PRIMARY KEY,
  email varchar(120) NOT NULL UNIQUE,
  name text,
  age int CHECK (age >= 0),
  balance numeric(12,2) NOT NULL DEFAULT 0,
  active boolean NOT NULL DEFAULT true,
  created timestamptz DEFAULT now(),
  born date,
  token uuid,
  profile jsonb,
  avatar bytea,
  score bigint
);
CREATE INDEX users_name_idx ON users (name);
CREATE INDEX users_active_created_idx ON users (active, created);
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  user_id int NOT NULL,
  amount numeric(10,2),
  note varchar(200) DEFAULT 'none',
  placed date
);
CREATE INDEX orders_user_id_idx ON orders (user_id);
CREATE TABLE countries (
  code char(2) PRIMARY KEY,
  name text NOT NULL,
  population bigint DEFAULT 0,
  area real,
  ratio double precision,
  rank smallint,
  CONSTRAINT countries_name_key UNIQUE (name)
);
CREATE TABLE tags (user_id int NOT NULL, tag varchar(40) NOT NULL, created date,
  PRIMARY KEY (user_id, tag), UNIQUE (tag, created));
CREATE TABLE payments (id bigint PRIMARY KEY, user_id int REFERENCES users (id),
  amount numeric(8,2) NOT NULL CHECK (amount >= 0.01), paid_at timestamp(3), ref char(8), flags int[],
  note text DEFAULT 'n/a');
CREATE TABLE items (id int PRIMARY KEY, pay_id bigint REFERENCES payments (id) ON DELETE CASCADE,
  qty smallint NOT NULL DEFAULT 1);
SQL
for my $side (qw(postgres dosql))
{
	($rc, $out, $err) = run_command([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $conn{$side} ],
		stdin => $schema);
	is($rc, 0, "$side: schema created") or diag($err);
}

# The same output, byte for byte.
for my $cmd ('\dn', '\dn+', '\dt', '\dt users', '\di', '\di users*', '\ds', '\dv', '\df', '\d',
	'\d users', '\d+ users', '\d orders', '\d+ orders', '\d countries', '\d+ countries', '\d tags',
	'\d payments', '\d items', '\d users_pkey', '\d users_active_created_idx', '\d tags_tag_created_key',
	'\d order_no_seq', '\d users_id_seq', '\d orders_id_seq', '\d nosuch')
{
	my @pg = psql_on('postgres', $cmd);
	my @ds = psql_on('dosql', $cmd);
	is($ds[1], $pg[1], "$cmd: output as PostgreSQL's");
	is($ds[2], $pg[2], "$cmd: messages as PostgreSQL's");
	is($ds[0], $pg[0], "$cmd: exit code as PostgreSQL's");
}

# information_schema, as JDBC and ORMs read it: the same rows.  (Its NOT
# NULL constraints are named after OIDs, which differ; schemata's owners of
# pg_catalog and information_schema are PostgreSQL's bootstrap superuser.)
for my $q (
	q{select table_catalog, table_schema, table_name, table_type, is_insertable_into, is_typed
	  from information_schema.tables where table_schema = 'public' order by 3},
	q{select table_catalog, table_name, column_name, ordinal_position, column_default, is_nullable, data_type,
	  character_maximum_length, character_octet_length, numeric_precision, numeric_precision_radix, numeric_scale,
	  datetime_precision, udt_name, dtd_identifier, is_identity, identity_cycle, is_generated, is_updatable
	  from information_schema.columns where table_schema = 'public' order by 2, 4},
	q{select constraint_name, table_name, constraint_type, is_deferrable, initially_deferred, enforced, nulls_distinct
	  from information_schema.table_constraints where table_schema = 'public' and constraint_name not like '%_not_null'
	  order by 2, 1},
	q{select count(*) from information_schema.table_constraints
	  where table_schema = 'public' and constraint_name like '%_not_null'},
	q{select constraint_name, table_name, column_name, ordinal_position, position_in_unique_constraint
	  from information_schema.key_column_usage where table_schema = 'public' order by 2, 1, 4},
	q{select * from information_schema.referential_constraints where constraint_schema = 'public' order by 3},
	q{select constraint_name, check_clause from information_schema.check_constraints
	  where constraint_schema = 'public' and constraint_name not like '%_not_null' order by 1},
	q{select sequence_name, data_type, numeric_precision, start_value, minimum_value, maximum_value, increment,
	  cycle_option from information_schema.sequences order by 1},
	q{select * from information_schema.schemata where schema_name = 'public'},
	q{select count(*) from information_schema.views where table_schema = 'public'})
{
	my @pg = psql_on('postgres', $q);
	my @ds = psql_on('dosql', $q);
	is($ds[2], $pg[2], "no error: $q");
	is($ds[1], $pg[1], "as PostgreSQL's: $q");
}

# Every catalog a client touches exists, with PostgreSQL 15's columns in
# PostgreSQL 15's order (psql shows their names even for no rows).
for my $rel (qw(pg_class pg_attribute pg_type pg_namespace pg_index pg_constraint pg_attrdef pg_sequence
	pg_description pg_database pg_roles pg_authid pg_user pg_settings pg_am pg_collation pg_proc pg_inherits
	pg_tablespace pg_statistic_ext pg_policy pg_rewrite pg_trigger pg_publication pg_publication_rel
	pg_publication_namespace pg_publication_tables pg_depend pg_auth_members pg_shdescription pg_enum pg_range
	pg_partitioned_table pg_extension pg_foreign_table pg_conversion pg_tables pg_views pg_matviews pg_sequences
	pg_indexes pg_prepared_xacts pg_replication_slots))
{
	my $q = "select * from pg_catalog.$rel where false";
	is((psql_on('dosql', $q))[1], (psql_on('postgres', $q))[1], "$rel has PostgreSQL 15's columns");
}

# pg_proc lists the functions DoSQL knows, in pg_catalog; \df, which
# leaves pg_catalog out, lists none (as above).
is((psql_on('dosql', q{select (select count(*) from pg_proc) > 50, bool_and(pronamespace = 11), min(prokind), max(prokind)
	from pg_proc where proname in ('lower', 'count', 'row_number', 'now')}, '-A', '-t'))[1], "t|t|a|w\n",
	'pg_proc: functions, aggregates and window functions');

# The catalog functions clients call.
for my $q (
	q{select format_type(23, -1), format_type(1043, 24), format_type(1700, 655366), format_type(1184, -1),
	  format_type(1114, 3), format_type(1007, -1), format_type(1042, -1), format_type(1042, 12), format_type(18, -1),
	  format_type(999999, -1), format_type(NULL, -1)},
	q{select pg_size_pretty(0::bigint), pg_size_pretty(10239::bigint), pg_size_pretty(10240::bigint),
	  pg_size_pretty(123456789::bigint), pg_size_pretty(99999999999::bigint), pg_size_pretty(-20480::bigint)},
	q{select current_schemas(true), current_schemas(false), pg_encoding_to_char(6),
	  has_table_privilege('users', 'select'), has_schema_privilege('public', 'usage'), pg_get_userbyid(999999)},
	q{select array_to_string('{a,NULL,c}'::text[], ','), array_to_string('{a,NULL,c}'::text[], ',', '*'),
	  array_upper('{1,2,3}'::int[], 1), array_length('{}'::int[], 1), cardinality('{1,2}'::int[])},
	q{select pg_get_indexdef('users_active_created_idx'::regclass),
	  pg_get_indexdef('users_active_created_idx'::regclass, 2, true)},
	q{select conname, pg_get_constraintdef(oid), pg_get_constraintdef(oid, true) from pg_constraint
	  where conrelid in ('users'::regclass, 'items'::regclass, 'tags'::regclass) order by 1},
	q{select obj_description('public'::regnamespace, 'pg_namespace'), col_description('users'::regclass, 1)},
	q{select c.relname, a.attname, pg_get_expr(d.adbin, d.adrelid) from pg_attrdef d
	  join pg_class c on c.oid = d.adrelid join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
	  order by 1, 2},
	q{select 'integer'::regtype::oid, 'pg_catalog'::regnamespace::oid, 'text'::regtype::oid},
	q{select array(select relname from pg_class where relkind = 'S' order by 1), 23 = any('{21,23}'::oid[])})
{
	my @pg = psql_on('postgres', $q);
	my @ds = psql_on('dosql', $q);
	is($ds[2], $pg[2], "no error: $q");
	is($ds[1], $pg[1], "as PostgreSQL's: $q");
}

# Unaligned output, only some rows (see the top of the file).
sub rows_of
{
	my ($side, $cmd, $re) = @_;
	my ($rc, $out, $err) = psql_on($side, $cmd, '-A');
	is($err, '', "$side: $cmd runs");
	return join("\n", grep { /$re/ } split /\n/, $out);
}
for my $c ([ '\l', qr/^(Name\||dosql\|)/ ], [ '\du', qr/^(Role name\||dosql\|)/ ])
{
	my ($cmd, $re) = @$c;
	my $pg = rows_of('postgres', $cmd, $re);
	like($pg, qr/\n/, "$cmd: the oracle has the header and the dosql row");
	is(rows_of('dosql', $cmd, $re), $pg, "$cmd: header and the dosql row as PostgreSQL's");
}

# \dt+: all but the Size column.
sub without_size
{
	my ($text) = @_;
	return join("\n", map { my @f = split /\|/, $_, -1; splice(@f, 6, 1) if @f > 6; join('|', @f) } split /\n/, $text);
}
is(without_size(rows_of('dosql', '\dt+', qr/\|/)), without_size(rows_of('postgres', '\dt+', qr/\|/)),
	'\dt+: as PostgreSQL\'s but for Size');
like(rows_of('dosql', '\dt+', qr/^public\|users\|/), qr/\|0 bytes\|/, '\dt+: a shard reports no size');

# \db: the tablespaces, owned by dosql.
($rc, $out, $err) = psql_on('dosql', '\db');
is($out, <<'OUT', '\db: the two tablespaces');
      List of tablespaces
    Name    | Owner | Location 
------------+-------+----------
 pg_default | dosql | 
 pg_global  | dosql | 
(2 rows)

OUT

# The catalog's OIDs survive a restart of the shards.
my $oids = sub {
	my ($rc, $out) = psql_on('dosql', q{select relname, oid from pg_catalog.pg_class order by relname}, '-A', '-t');
	return $out;
};
my $before = $oids->();
like($before, qr/^users\|\d+$/m, 'pg_class lists users with its OID');
$_->restart for $cluster->shards;
is($oids->(), $before, 'OIDs are the same after the shards restart');

done_testing();
