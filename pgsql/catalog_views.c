/*
 * catalog_views.c - pg_catalog and information_schema as a session sees
 * them: temp views over DoSQL's catalog tables (_dosql_*), a temp pg_type
 * filled from the type table, fixed rows for what a shard has exactly one of
 * (database, roles, access methods, collations, tablespaces), and empty
 * tables for the catalogs DoSQL has nothing in (policies, triggers, rules,
 * extended statistics...).  Every relation has PostgreSQL 15's columns in
 * PostgreSQL 15's order, so clients that read any column find it.
 */
#include "pgsql/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate.h"

/* The roles: DoSQL's one user, and PG 15's owner of the public schema. */
#define ROLE_DOSQL "10"
#define ROLE_DB_OWNER "6171"

/*
 * Each relation: its name, its OID in PostgreSQL, its columns as name:type
 * pairs (types by pg_type name) and the SELECT giving them in that order.
 * A NULL select makes an empty table.
 */
#define PG_TYPE_COLUMNS                                                                                               \
	"oid:oid,typname:name,typnamespace:oid,typowner:oid,typlen:int2,typbyval:bool,typtype:char,typcategory:char,"  \
	"typispreferred:bool,typisdefined:bool,typdelim:char,typrelid:oid,typsubscript:regproc,typelem:oid,typarray:oid," \
	"typinput:regproc,typoutput:regproc,typreceive:regproc,typsend:regproc,typmodin:regproc,typmodout:regproc,"      \
	"typanalyze:regproc,typalign:char,typstorage:char,typnotnull:bool,typbasetype:oid,typtypmod:int4,typndims:int4," \
	"typcollation:oid,typdefaultbin:pg_node_tree,typdefault:text,typacl:_aclitem"

static const PgsSysRel sysrels[] = {
	/* the built-in types (fill_pg_type), under pg_type */
	{"_dosql_builtin_type", 0, PG_TYPE_COLUMNS, NULL},
	/* and the composite types and domains of _dosql_type (usertype.c), in
	 * public */
	{"pg_type", 1247, PG_TYPE_COLUMNS,
	 "SELECT * FROM temp._dosql_builtin_type UNION ALL SELECT u.oid, u.typname, 2200, " ROLE_DOSQL ","
	 " CASE WHEN u.typtype = 'd' THEN coalesce(b.typlen, -1) ELSE -1 END, coalesce(u.typtype = 'd' AND b.typbyval, 0),"
	 " u.typtype, CASE WHEN u.typtype = 'd' THEN coalesce(b.typcategory, 'U') ELSE 'C' END, 0, 1, ',', 0, 0, 0, 0,"
	 " 0, 0, 0, 0, 0, 0, 0, CASE WHEN u.typtype = 'd' THEN coalesce(b.typalign, 'i') ELSE 'd' END,"
	 " CASE WHEN u.typtype = 'd' THEN coalesce(b.typstorage, 'x') ELSE 'x' END, u.typnotnull,"
	 " CASE WHEN u.typtype = 'd' THEN u.basetype ELSE 0 END, CASE WHEN u.typtype = 'd' THEN u.basetypmod ELSE -1 END,"
	 " 0, CASE WHEN u.typtype = 'd' THEN coalesce(b.typcollation, 0) ELSE 0 END, NULL, NULL, NULL"
	 " FROM main._dosql_type u LEFT JOIN temp._dosql_builtin_type b ON b.oid = u.basetype"},
	/* (the OIDs of SHD_NAMESPACE_*) */
	{"pg_namespace", 2615, "oid:oid,nspname:name,nspowner:oid,nspacl:_aclitem",
	 "VALUES (11, 'pg_catalog', " ROLE_DOSQL ", NULL), (2200, 'public', " ROLE_DB_OWNER ","
	 " '{pg_database_owner=UC/pg_database_owner,=U/pg_database_owner}'),"
	 " (13183, 'information_schema', " ROLE_DOSQL ", NULL)"},
	{"pg_class", 1259,
	 "oid:oid,relname:name,relnamespace:oid,reltype:oid,reloftype:oid,relowner:oid,relam:oid,relfilenode:oid,"
	 "reltablespace:oid,relpages:int4,reltuples:float4,relallvisible:int4,reltoastrelid:oid,relhasindex:bool,"
	 "relisshared:bool,relpersistence:char,relkind:char,relnatts:int2,relchecks:int2,relhasrules:bool,"
	 "relhastriggers:bool,relhassubclass:bool,relrowsecurity:bool,relforcerowsecurity:bool,relispopulated:bool,"
	 "relreplident:char,relispartition:bool,relrewrite:oid,relfrozenxid:xid,relminmxid:xid,relacl:_aclitem,"
	 "reloptions:_text,relpartbound:pg_node_tree",
	 "SELECT c.oid, c.relname, c.relnamespace, 0, 0, " ROLE_DOSQL ","
	 " CASE c.relkind WHEN 'r' THEN 2 WHEN 'i' THEN 403 ELSE 0 END, c.oid, 0, 0, -1, 0, 0,"
	 " EXISTS(SELECT 1 FROM main._dosql_index i WHERE i.indrelid = c.oid), 0, 'p', c.relkind,"
	 " CASE WHEN c.relkind = 'S' THEN 3 ELSE (SELECT count(*) FROM main._dosql_attribute a WHERE a.attrelid = c.oid)"
	 " END, (SELECT count(*) FROM main._dosql_constraint k WHERE k.conrelid = c.oid AND k.contype = 'c'), 0,"
	 " EXISTS(SELECT 1 FROM main._dosql_constraint k WHERE k.contype = 'f' AND c.oid IN (k.conrelid, k.confrelid)),"
	 " 0, 0, 0, 1, CASE WHEN c.relkind = 'r' THEN coalesce((SELECT substr(r.ident, 1, 1) FROM main._dosql_replident r"
	 " WHERE r.relid = c.oid), 'd') ELSE 'n' END, 0, 0, CASE WHEN c.relkind = 'r' THEN 730 ELSE 0 END,"
	 " CASE WHEN c.relkind = 'r' THEN 1 ELSE 0 END, NULL, NULL, NULL FROM main._dosql_class c"},
	{"pg_attribute", 1249,
	 "attrelid:oid,attname:name,atttypid:oid,attstattarget:int4,attlen:int2,attnum:int2,attndims:int4,"
	 "attcacheoff:int4,atttypmod:int4,attbyval:bool,attalign:char,attstorage:char,attcompression:char,"
	 "attnotnull:bool,atthasdef:bool,atthasmissing:bool,attidentity:char,attgenerated:char,attisdropped:bool,"
	 "attislocal:bool,attinhcount:int4,attcollation:oid,attacl:_aclitem,attoptions:_text,attfdwoptions:_text,"
	 "attmissingval:anyarray",
	 "SELECT a.attrelid, a.attname, a.atttypid, -1, t.typlen, a.attnum, t.typcategory = 'A', -1, a.atttypmod,"
	 " t.typbyval, t.typalign, t.typstorage, '', a.attnotnull, a.attdefault IS NOT NULL AND a.attidentity = '', 0,"
	 " a.attidentity, '', 0, 1,"
	 " 0, t.typcollation, NULL, NULL, NULL, NULL FROM main._dosql_attribute a LEFT JOIN temp._dosql_builtin_type t"
	 " ON t.oid = a.atttypid"
	 /* an index's columns: those of its table it lists, numbered from 1 */
	 " UNION ALL SELECT i.indexrelid, a.attname, a.atttypid, -1, t.typlen, k.key + 1, t.typcategory = 'A', -1,"
	 " a.atttypmod, t.typbyval, t.typalign, t.typstorage, '', 0, 0, 0, '', '', 0, 1, 0, t.typcollation, NULL, NULL,"
	 " NULL, NULL FROM main._dosql_index i, json_each('[' || substr(i.indkey, 2, length(i.indkey) - 2) || ']') k"
	 " JOIN main._dosql_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.value LEFT JOIN temp._dosql_builtin_type t"
	 " ON t.oid = a.atttypid"},
	{"pg_index", 2610,
	 "indexrelid:oid,indrelid:oid,indnatts:int2,indnkeyatts:int2,indisunique:bool,indnullsnotdistinct:bool,"
	 "indisprimary:bool,indisexclusion:bool,indimmediate:bool,indisclustered:bool,indisvalid:bool,"
	 "indcheckxmin:bool,indisready:bool,indislive:bool,indisreplident:bool,indkey:int2vector,"
	 "indcollation:oidvector,indclass:oidvector,indoption:int2vector,indexprs:pg_node_tree,indpred:pg_node_tree",
	 "SELECT indexrelid, indrelid, length(indkey) - length(replace(indkey, ',', '')) + 1,"
	 " length(indkey) - length(replace(indkey, ',', '')) + 1, indisunique, 0, indisprimary, 0, 1, 0, 1, 0, 1, 1,"
	 " 0, replace(substr(indkey, 2, length(indkey) - 2), ',', ' '), NULL, NULL, NULL, NULL, NULL"
	 " FROM main._dosql_index"},
	{"pg_constraint", 2606,
	 "oid:oid,conname:name,connamespace:oid,contype:char,condeferrable:bool,condeferred:bool,convalidated:bool,"
	 "conrelid:oid,contypid:oid,conindid:oid,conparentid:oid,confrelid:oid,confupdtype:char,confdeltype:char,"
	 "confmatchtype:char,conislocal:bool,coninhcount:int4,connoinherit:bool,conkey:_int2,confkey:_int2,"
	 "conpfeqop:_oid,conppeqop:_oid,conffeqop:_oid,confdelsetcols:_int2,conexclop:_oid,conbin:pg_node_tree",
	 "SELECT oid, conname, 2200, contype, 0, 0, 1, conrelid, 0, conindid, 0, confrelid,"
	 " CASE contype WHEN 'f' THEN 'a' ELSE ' ' END, CASE WHEN contype <> 'f' THEN ' ' WHEN " PGS_FK_CASCADES("k.oid")
	 " THEN 'c' ELSE 'a' END,"
	 " CASE contype WHEN 'f' THEN 's' ELSE ' ' END, 1, 0, 0,"
	 /* a foreign key's columns, from its definition "FOREIGN KEY (a) REFERENCES t(b)" */
	 " coalesce(conkey, (SELECT '{' || a.attnum || '}' FROM main._dosql_attribute a WHERE contype = 'f'"
	 " AND a.attrelid = conrelid AND substr(condef, 1, length(a.attname) + 15) = 'FOREIGN KEY (' || a.attname || ') ')),"
	 " coalesce(confkey, (SELECT '{' || a.attnum || '}' FROM main._dosql_attribute a WHERE contype = 'f'"
	 " AND a.attrelid = confrelid AND substr(condef, -length(a.attname) - 2) = '(' || a.attname || ')')),"
	 " NULL, NULL, NULL, NULL, NULL, CASE contype WHEN 'c' THEN substr(condef, 7) END FROM main._dosql_constraint k"},
	{"pg_attrdef", 2604, "oid:oid,adrelid:oid,adnum:int2,adbin:pg_node_tree",
	 "SELECT attrelid * 1000 + attnum, attrelid, attnum, pg_attrdef_expr(attdefault, atttypid) FROM main._dosql_attribute"
	 " WHERE attdefault IS NOT NULL AND attidentity = ''"},
	{"pg_sequence", 2224,
	 "seqrelid:oid,seqtypid:oid,seqstart:int8,seqincrement:int8,seqmax:int8,seqmin:int8,seqcache:int8,"
	 "seqcycle:bool",
	 "SELECT seqrelid, seqtypid, seqstart, seqincrement, seqmax, seqmin, 1, seqcycle FROM main._dosql_sequence"},
	{"pg_database", 1262,
	 "oid:oid,datname:name,datdba:oid,encoding:int4,datlocprovider:char,datistemplate:bool,datallowconn:bool,"
	 "datconnlimit:int4,datfrozenxid:xid,datminmxid:xid,dattablespace:oid,datcollate:text,datctype:text,"
	 "daticulocale:text,datcollversion:text,datacl:_aclitem",
	 "VALUES (16384, 'dosql', " ROLE_DOSQL ", 6, 'c', 0, 1, -1, 716, 1, 1663, 'C', 'C', NULL, NULL, NULL)"},
	{"pg_authid", 1260,
	 "oid:oid,rolname:name,rolsuper:bool,rolinherit:bool,rolcreaterole:bool,rolcreatedb:bool,rolcanlogin:bool,"
	 "rolreplication:bool,rolbypassrls:bool,rolconnlimit:int4,rolpassword:text,rolvaliduntil:timestamptz",
	 "VALUES (" ROLE_DOSQL ", 'dosql', 1, 1, 1, 1, 1, 1, 1, -1, NULL, NULL),"
	 " (" ROLE_DB_OWNER ", 'pg_database_owner', 0, 1, 0, 0, 0, 0, 0, -1, NULL, NULL)"},
	{"pg_roles", 12000,
	 "rolname:name,rolsuper:bool,rolinherit:bool,rolcreaterole:bool,rolcreatedb:bool,rolcanlogin:bool,"
	 "rolreplication:bool,rolconnlimit:int4,rolpassword:text,rolvaliduntil:timestamptz,rolbypassrls:bool,"
	 "rolconfig:_text,oid:oid",
	 "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolconnlimit,"
	 " '********', rolvaliduntil, rolbypassrls, NULL, oid FROM temp.pg_authid"},
	{"pg_user", 12014,
	 "usename:name,usesysid:oid,usecreatedb:bool,usesuper:bool,userepl:bool,usebypassrls:bool,passwd:text,"
	 "valuntil:timestamptz,useconfig:_text",
	 "SELECT rolname, oid, rolcreatedb, rolsuper, rolreplication, rolbypassrls, '********', rolvaliduntil, NULL"
	 " FROM temp.pg_authid WHERE rolcanlogin"},
	{"pg_auth_members", 1261, "roleid:oid,member:oid,grantor:oid,admin_option:bool", NULL},
	{"pg_am", 2601, "oid:oid,amname:name,amhandler:regproc,amtype:char",
	 "VALUES (2, 'heap', 3, 't'), (403, 'btree', 330, 'i')"},
	{"pg_collation", 3456,
	 "oid:oid,collname:name,collnamespace:oid,collowner:oid,collprovider:char,collisdeterministic:bool,"
	 "collencoding:int4,collcollate:text,collctype:text,colliculocale:text,collversion:text",
	 "VALUES (100, 'default', 11, " ROLE_DOSQL ", 'd', 1, -1, NULL, NULL, NULL, NULL),"
	 " (950, 'C', 11, " ROLE_DOSQL ", 'c', 1, -1, 'C', 'C', NULL, NULL),"
	 " (951, 'POSIX', 11, " ROLE_DOSQL ", 'c', 1, -1, 'POSIX', 'POSIX', NULL, NULL)"},
	{"pg_tablespace", 1213, "oid:oid,spcname:name,spcowner:oid,spcacl:_aclitem,spcoptions:_text",
	 "VALUES (1663, 'pg_default', " ROLE_DOSQL ", NULL, NULL), (1664, 'pg_global', " ROLE_DOSQL ", NULL, NULL)"},
	{"pg_proc", 1255,
	 "oid:oid,proname:name,pronamespace:oid,proowner:oid,prolang:oid,procost:float4,prorows:float4,"
	 "provariadic:oid,prosupport:regproc,prokind:char,prosecdef:bool,proleakproof:bool,proisstrict:bool,"
	 "proretset:bool,provolatile:char,proparallel:char,pronargs:int2,pronargdefaults:int2,prorettype:oid,"
	 "proargtypes:oidvector,proallargtypes:_oid,proargmodes:_char,proargnames:_text,proargdefaults:pg_node_tree,"
	 "protrftypes:_oid,prosrc:text,probin:text,prosqlbody:pg_node_tree,proconfig:_text,proacl:_aclitem",
	 NULL},
	{"pg_description", 2609, "objoid:oid,classoid:oid,objsubid:int4,description:text",
	 "VALUES (2200, 2615, 0, 'standard public schema')"},
	{"pg_shdescription", 2396, "objoid:oid,classoid:oid,description:text", NULL},
	{"pg_settings", 12104,
	 "name:text,setting:text,unit:text,category:text,short_desc:text,extra_desc:text,context:text,vartype:text,"
	 "source:text,min_val:text,max_val:text,enumvals:_text,boot_val:text,reset_val:text,sourcefile:text,"
	 "sourceline:int4,pending_restart:bool",
	 "SELECT n, pg_current_setting(n), NULL, 'Client Connection Defaults', '', NULL, 'user', 'string', 'default',"
	 " NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 FROM (SELECT column1 AS n FROM (VALUES ('application_name'),"
	 " ('client_encoding'), ('DateStyle'), ('default_transaction_isolation'), ('extra_float_digits'),"
	 " ('IntervalStyle'), ('max_identifier_length'), ('search_path'), ('server_encoding'), ('server_version'),"
	 " ('server_version_num'), ('standard_conforming_strings'), ('TimeZone'), ('transaction_isolation')))"},
	{"pg_inherits", 2611, "inhrelid:oid,inhparent:oid,inhseqno:int4,inhdetachpending:bool", NULL},
	{"pg_partitioned_table", 3350,
	 "partrelid:oid,partstrat:char,partnatts:int2,partdefid:oid,partattrs:int2vector,partclass:oidvector,"
	 "partcollation:oidvector,partexprs:pg_node_tree",
	 NULL},
	{"pg_statistic_ext", 3381,
	 "oid:oid,stxrelid:oid,stxname:name,stxnamespace:oid,stxowner:oid,stxstattarget:int4,stxkeys:int2vector,"
	 "stxkind:_char,stxexprs:pg_node_tree",
	 NULL},
	{"pg_policy", 3256,
	 "oid:oid,polname:name,polrelid:oid,polcmd:char,polpermissive:bool,polroles:_oid,polqual:pg_node_tree,"
	 "polwithcheck:pg_node_tree",
	 NULL},
	{"pg_rewrite", 2618,
	 "oid:oid,rulename:name,ev_class:oid,ev_type:char,ev_enabled:char,is_instead:bool,ev_qual:pg_node_tree,"
	 "ev_action:pg_node_tree",
	 NULL},
	{"pg_trigger", 2620,
	 "oid:oid,tgrelid:oid,tgparentid:oid,tgname:name,tgfoid:oid,tgtype:int2,tgenabled:char,tgisinternal:bool,"
	 "tgconstrrelid:oid,tgconstrindid:oid,tgconstraint:oid,tgdeferrable:bool,tginitdeferred:bool,tgnargs:int2,"
	 "tgattr:int2vector,tgargs:bytea,tgqual:pg_node_tree,tgoldtable:name,tgnewtable:name",
	 NULL},
	/* the sequences serial and identity columns own (named <table>_<column>_seq) */
	{"pg_depend", 2608,
	 "classid:oid,objid:oid,objsubid:int4,refclassid:oid,refobjid:oid,refobjsubid:int4,deptype:char",
	 "SELECT 1259, s.oid, 0, 1259, a.attrelid, a.attnum, CASE WHEN a.attidentity = '' THEN 'a' ELSE 'i' END"
	 " FROM main._dosql_attribute a JOIN main._dosql_class t ON t.oid = a.attrelid JOIN main._dosql_class s"
	 " ON s.relkind = 'S' AND s.relname = t.relname || '_' || a.attname || '_seq'"
	 " AND a.attdefault = 'nextval(''' || s.relname || '''::regclass)'"},
	{"pg_conversion", 2607,
	 "oid:oid,conname:name,connamespace:oid,conowner:oid,conforencoding:int4,contoencoding:int4,conproc:regproc,"
	 "condefault:bool",
	 NULL},
	{"pg_enum", 3501, "oid:oid,enumtypid:oid,enumsortorder:float4,enumlabel:name", NULL},
	{"pg_range", 3541,
	 "rngtypid:oid,rngsubtype:oid,rngmultitypid:oid,rngcollation:oid,rngsubopc:oid,rngcanonical:regproc,"
	 "rngsubdiff:regproc",
	 NULL},
	{"pg_extension", 3079,
	 "oid:oid,extname:name,extowner:oid,extnamespace:oid,extrelocatable:bool,extversion:text,extconfig:_oid,"
	 "extcondition:_text",
	 NULL},
	{"pg_foreign_table", 3118, "ftrelid:oid,ftserver:oid,ftoptions:_text", NULL},
	{"pg_publication_namespace", 6237, "oid:oid,pnpubid:oid,pnnspid:oid", NULL},
	{"pg_tables", 12033,
	 "schemaname:name,tablename:name,tableowner:name,tablespace:name,hasindexes:bool,hasrules:bool,"
	 "hastriggers:bool,rowsecurity:bool",
	 "SELECT 'public', relname, 'dosql', NULL, relhasindex, 0, relhastriggers, 0 FROM temp.pg_class"
	 " WHERE relkind = 'r'"},
	{"pg_views", 12028, "schemaname:name,viewname:name,viewowner:name,definition:text", NULL},
	{"pg_matviews", 12038,
	 "schemaname:name,matviewname:name,matviewowner:name,tablespace:name,hasindexes:bool,ispopulated:bool,"
	 "definition:text",
	 NULL},
	{"pg_sequences", 12048,
	 "schemaname:name,sequencename:name,sequenceowner:name,data_type:regtype,start_value:int8,min_value:int8,"
	 "max_value:int8,increment_by:int8,cycle:bool,cache_size:int8,last_value:int8",
	 "SELECT 'public', c.relname, 'dosql', s.seqtypid, s.seqstart, s.seqmin, s.seqmax, s.seqincrement, s.seqcycle,"
	 " 1, CASE WHEN s.is_called THEN s.last_value END FROM main._dosql_sequence s JOIN main._dosql_class c"
	 " ON c.oid = s.seqrelid"},
	{"pg_indexes", 12043, "schemaname:name,tablename:name,indexname:name,tablespace:name,indexdef:text",
	 "SELECT 'public', t.relname, c.relname, NULL, pg_get_indexdef(i.indexrelid) FROM main._dosql_index i"
	 " JOIN main._dosql_class c ON c.oid = i.indexrelid JOIN main._dosql_class t ON t.oid = i.indrelid"},
	{"pg_prepared_xacts", 12094, "transaction:xid,gid:text,prepared:timestamptz,owner:name,database:name",
	 "SELECT rowid, gid, prepared, owner, 'dosql' FROM main._dosql_prepared"},
	{"pg_publication", 6104,
	 "oid:oid,pubname:name,pubowner:oid,puballtables:bool,pubinsert:bool,pubupdate:bool,pubdelete:bool,"
	 "pubtruncate:bool,pubviaroot:bool",
	 "SELECT oid, pubname, " ROLE_DOSQL ", puballtables, pubinsert, pubupdate, pubdelete, pubtruncate, 0"
	 " FROM main._dosql_publication"},
	{"pg_publication_rel", 6106, "oid:oid,prpubid:oid,prrelid:oid,prqual:pg_node_tree,prattrs:int2vector",
	 "SELECT oid, prpubid, prrelid, NULL, NULL FROM main._dosql_publication_rel"},
	/* a table of a FOR ALL TABLES publication, or one listed; every column */
	{"pg_publication_tables", 6119, "pubname:name,schemaname:name,tablename:name,attnames:_name,rowfilter:text",
	 "SELECT p.pubname, 'public', c.relname, (SELECT '{' || group_concat(CASE WHEN n GLOB '*[ ,{}\"\\]*' OR n = ''"
	 " THEN '\"' || replace(replace(n, '\\', '\\\\'), '\"', '\\\"') || '\"' ELSE n END, ',') || '}'"
	 " FROM (SELECT a.attname AS n FROM main._dosql_attribute a WHERE a.attrelid = c.oid ORDER BY a.attnum)),"
	 " NULL FROM main._dosql_publication p JOIN main._dosql_class c ON c.relkind = 'r' AND"
	 " (p.puballtables OR c.oid IN (SELECT r.prrelid FROM main._dosql_publication_rel r WHERE r.prpubid = p.oid))"},
	/* the shard's slots; active while a router streams one (DOSQL_ACQUIRE) */
	{"pg_replication_slots", 12110,
	 "slot_name:name,plugin:name,slot_type:text,datoid:oid,database:name,temporary:bool,active:bool,"
	 "active_pid:int4,xmin:xid,catalog_xmin:xid,restart_lsn:pg_lsn,confirmed_flush_lsn:pg_lsn,wal_status:text,"
	 "safe_wal_size:int8,two_phase:bool",
	 "SELECT name, plugin, 'logical', 16384, 'dosql', 0, dosql_slot_pid(name) IS NOT NULL, dosql_slot_pid(name),"
	 " NULL, NULL, printf('%X/%X', confirmed >> 32, confirmed & 4294967295),"
	 " printf('%X/%X', confirmed >> 32, confirmed & 4294967295), 'reserved', NULL, two_phase FROM main._dosql_slots"},
	/* catalogs DoSQL has nothing in */
	{"pg_aggregate", 2600,
	 "aggfnoid:regproc,aggkind:char,aggnumdirectargs:int2,aggtransfn:regproc,aggfinalfn:regproc,"
	 "aggcombinefn:regproc,aggserialfn:regproc,aggdeserialfn:regproc,aggmtransfn:regproc,"
	 "aggminvtransfn:regproc,aggmfinalfn:regproc,aggfinalextra:bool,aggmfinalextra:bool,"
	 "aggfinalmodify:char,aggmfinalmodify:char,aggsortop:oid,aggtranstype:oid,aggtransspace:int4,"
	 "aggmtranstype:oid,aggmtransspace:int4,agginitval:text,aggminitval:text",
	 NULL},
	{"pg_cast", 2605,
	 "oid:oid,castsource:oid,casttarget:oid,castfunc:oid,castcontext:char,castmethod:char",
	 NULL},
	{"pg_db_role_setting", 2964,
	 "setdatabase:oid,setrole:oid,setconfig:_text",
	 NULL},
	{"pg_default_acl", 826,
	 "oid:oid,defaclrole:oid,defaclnamespace:oid,defaclobjtype:char,defaclacl:_aclitem",
	 NULL},
	{"pg_event_trigger", 3466,
	 "oid:oid,evtname:name,evtevent:name,evtowner:oid,evtfoid:oid,evtenabled:char,evttags:_text",
	 NULL},
	{"pg_foreign_data_wrapper", 2328,
	 "oid:oid,fdwname:name,fdwowner:oid,fdwhandler:oid,fdwvalidator:oid,fdwacl:_aclitem,fdwoptions:_text",
	 NULL},
	{"pg_foreign_server", 1417,
	 "oid:oid,srvname:name,srvowner:oid,srvfdw:oid,srvtype:text,srvversion:text,srvacl:_aclitem,"
	 "srvoptions:_text",
	 NULL},
	{"pg_init_privs", 3394,
	 "objoid:oid,classoid:oid,objsubid:int4,privtype:char,initprivs:_aclitem",
	 NULL},
	{"pg_language", 2612,
	 "oid:oid,lanname:name,lanowner:oid,lanispl:bool,lanpltrusted:bool,lanplcallfoid:oid,laninline:oid,"
	 "lanvalidator:oid,lanacl:_aclitem",
	 NULL},
	{"pg_largeobject_metadata", 2995,
	 "oid:oid,lomowner:oid,lomacl:_aclitem",
	 NULL},
	{"pg_locks", 12073,
	 "locktype:text,database:oid,relation:oid,page:int4,tuple:int2,virtualxid:text,transactionid:xid,"
	 "classid:oid,objid:oid,objsubid:int2,virtualtransaction:text,pid:int4,mode:text,granted:bool,"
	 "fastpath:bool,waitstart:timestamptz",
	 NULL},
	{"pg_opclass", 2616,
	 "oid:oid,opcmethod:oid,opcname:name,opcnamespace:oid,opcowner:oid,opcfamily:oid,opcintype:oid,"
	 "opcdefault:bool,opckeytype:oid",
	 NULL},
	{"pg_operator", 2617,
	 "oid:oid,oprname:name,oprnamespace:oid,oprowner:oid,oprkind:char,oprcanmerge:bool,oprcanhash:bool,"
	 "oprleft:oid,oprright:oid,oprresult:oid,oprcom:oid,oprnegate:oid,oprcode:regproc,oprrest:regproc,"
	 "oprjoin:regproc",
	 NULL},
	{"pg_opfamily", 2753,
	 "oid:oid,opfmethod:oid,opfname:name,opfnamespace:oid,opfowner:oid",
	 NULL},
	{"pg_seclabel", 3596,
	 "objoid:oid,classoid:oid,objsubid:int4,provider:text,label:text",
	 NULL},
	{"pg_shdepend", 1214,
	 "dbid:oid,classid:oid,objid:oid,objsubid:int4,refclassid:oid,refobjid:oid,deptype:char",
	 NULL},
	{"pg_shseclabel", 3592,
	 "objoid:oid,classoid:oid,provider:text,label:text",
	 NULL},
	{"pg_stat_activity", 12222,
	 "datid:oid,datname:name,pid:int4,leader_pid:int4,usesysid:oid,usename:name,application_name:text,"
	 "client_addr:inet,client_hostname:text,client_port:int4,backend_start:timestamptz,"
	 "xact_start:timestamptz,query_start:timestamptz,state_change:timestamptz,wait_event_type:text,"
	 "wait_event:text,state:text,backend_xid:xid,backend_xmin:xid,query_id:int8,query:text,"
	 "backend_type:text",
	 NULL},
	{"pg_stat_user_indexes", 12192,
	 "relid:oid,indexrelid:oid,schemaname:name,relname:name,indexrelname:name,idx_scan:int8,"
	 "idx_tup_read:int8,idx_tup_fetch:int8",
	 NULL},
	{"pg_stat_user_tables", 12161,
	 "relid:oid,schemaname:name,relname:name,seq_scan:int8,seq_tup_read:int8,idx_scan:int8,"
	 "idx_tup_fetch:int8,n_tup_ins:int8,n_tup_upd:int8,n_tup_del:int8,n_tup_hot_upd:int8,n_live_tup:int8,"
	 "n_dead_tup:int8,n_mod_since_analyze:int8,n_ins_since_vacuum:int8,last_vacuum:timestamptz,"
	 "last_autovacuum:timestamptz,last_analyze:timestamptz,last_autoanalyze:timestamptz,vacuum_count:int8,"
	 "autovacuum_count:int8,analyze_count:int8,autoanalyze_count:int8",
	 NULL},
	/* every table, no block counted (Sequelize joins it for comments) */
	{"pg_statio_user_tables", 12179,
	 "relid:oid,schemaname:name,relname:name,heap_blks_read:int8,heap_blks_hit:int8,idx_blks_read:int8,"
	 "idx_blks_hit:int8,toast_blks_read:int8,toast_blks_hit:int8,tidx_blks_read:int8,tidx_blks_hit:int8",
	 "SELECT oid, 'public', relname, 0, 0, 0, 0, NULL, NULL, NULL, NULL FROM main._dosql_class WHERE relkind = 'r'"},
	{"pg_statio_all_tables", 12173,
	 "relid:oid,schemaname:name,relname:name,heap_blks_read:int8,heap_blks_hit:int8,idx_blks_read:int8,"
	 "idx_blks_hit:int8,toast_blks_read:int8,toast_blks_hit:int8,tidx_blks_read:int8,tidx_blks_hit:int8",
	 "SELECT oid, 'public', relname, 0, 0, 0, 0, NULL, NULL, NULL, NULL FROM main._dosql_class WHERE relkind = 'r'"},
	{"pg_subscription", 6100,
	 "oid:oid,subdbid:oid,subskiplsn:pg_lsn,subname:name,subowner:oid,subenabled:bool,subbinary:bool,"
	 "substream:bool,subtwophasestate:char,subdisableonerr:bool,subconninfo:text,subslotname:name,"
	 "subsynccommit:text,subpublications:_text",
	 NULL},
	{"pg_subscription_rel", 6102,
	 "srsubid:oid,srrelid:oid,srsubstate:char,srsublsn:pg_lsn",
	 NULL},
	{"pg_transform", 3576,
	 "oid:oid,trftype:oid,trflang:oid,trffromsql:regproc,trftosql:regproc",
	 NULL},
	{"pg_ts_config", 3602,
	 "oid:oid,cfgname:name,cfgnamespace:oid,cfgowner:oid,cfgparser:oid",
	 NULL},
	{"pg_ts_dict", 3600,
	 "oid:oid,dictname:name,dictnamespace:oid,dictowner:oid,dicttemplate:oid,dictinitoption:text",
	 NULL},
	{"pg_ts_parser", 3601,
	 "oid:oid,prsname:name,prsnamespace:oid,prsstart:regproc,prstoken:regproc,prsend:regproc,"
	 "prsheadline:regproc,prslextype:regproc",
	 NULL},
	{"pg_ts_template", 3764,
	 "oid:oid,tmplname:name,tmplnamespace:oid,tmplinit:regproc,tmpllexize:regproc",
	 NULL},
	{"pg_user_mapping", 1418,
	 "oid:oid,umuser:oid,umserver:oid,umoptions:_text",
	 NULL},
	/*
	 * information_schema, for the public schema.  Its yes_or_no,
	 * character_data and cardinal_number domains are given as their base
	 * types.
	 */
	{"information_schema.schemata", 13400,
	 "catalog_name:name,schema_name:name,schema_owner:name,default_character_set_catalog:name,"
	 "default_character_set_schema:name,default_character_set_name:name,sql_path:varchar",
	 "SELECT 'dosql', nspname, pg_get_userbyid(nspowner), NULL, NULL, NULL, NULL FROM temp.pg_namespace"},
	{"information_schema.tables", 13401,
	 "table_catalog:name,table_schema:name,table_name:name,table_type:varchar,self_referencing_column_name:name,"
	 "reference_generation:varchar,user_defined_type_catalog:name,user_defined_type_schema:name,"
	 "user_defined_type_name:name,is_insertable_into:varchar,is_typed:varchar,commit_action:varchar",
	 "SELECT 'dosql', 'public', relname, CASE relkind WHEN 'r' THEN 'BASE TABLE' ELSE 'VIEW' END, NULL, NULL,"
	 " NULL, NULL, NULL, 'YES', 'NO', NULL FROM main._dosql_class WHERE relkind IN ('r', 'v')"},
	{"information_schema.columns", 13402,
	 "table_catalog:name,table_schema:name,table_name:name,column_name:name,ordinal_position:int4,"
	 "column_default:varchar,is_nullable:varchar,data_type:varchar,character_maximum_length:int4,"
	 "character_octet_length:int4,numeric_precision:int4,numeric_precision_radix:int4,numeric_scale:int4,"
	 "datetime_precision:int4,interval_type:varchar,interval_precision:int4,character_set_catalog:name,"
	 "character_set_schema:name,character_set_name:name,collation_catalog:name,collation_schema:name,"
	 "collation_name:name,domain_catalog:name,domain_schema:name,domain_name:name,udt_catalog:name,"
	 "udt_schema:name,udt_name:name,scope_catalog:name,scope_schema:name,scope_name:name,"
	 "maximum_cardinality:int4,dtd_identifier:name,is_self_referencing:varchar,is_identity:varchar,"
	 "identity_generation:varchar,identity_start:varchar,identity_increment:varchar,identity_maximum:varchar,"
	 "identity_minimum:varchar,identity_cycle:varchar,is_generated:varchar,generation_expression:varchar,"
	 "is_updatable:varchar",
	 "SELECT 'dosql', 'public', c.relname, a.attname, a.attnum,"
	 " CASE WHEN a.attidentity = '' THEN pg_attrdef_expr(a.attdefault, a.atttypid) END,"
	 " CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END,"
	 " CASE WHEN t.typcategory = 'A' THEN 'ARRAY' WHEN a.atttypid = 1042 THEN 'character'"
	 " ELSE pg_format_type(a.atttypid, -1) END,"
	 " CASE WHEN a.atttypid IN (1042, 1043) AND a.atttypmod >= 4 THEN a.atttypmod - 4 END,"
	 " CASE WHEN a.atttypid IN (1042, 1043) AND a.atttypmod >= 4 THEN (a.atttypmod - 4) * 4"
	 " WHEN a.atttypid IN (25, 1042, 1043) THEN 1073741824 END,"
	 " CASE a.atttypid WHEN 21 THEN 16 WHEN 23 THEN 32 WHEN 20 THEN 64 WHEN 700 THEN 24 WHEN 701 THEN 53"
	 " WHEN 1700 THEN CASE WHEN a.atttypmod >= 4 THEN ((a.atttypmod - 4) >> 16) & 65535 END END,"
	 " CASE WHEN a.atttypid IN (20, 21, 23, 700, 701) THEN 2 WHEN a.atttypid = 1700 THEN 10 END,"
	 " CASE WHEN a.atttypid IN (20, 21, 23) THEN 0 WHEN a.atttypid = 1700 AND a.atttypmod >= 4"
	 " THEN (a.atttypmod - 4) & 65535 END,"
	 " CASE WHEN a.atttypid = 1082 THEN 0 WHEN a.atttypid IN (1083, 1114, 1184, 1266, 1186)"
	 " THEN CASE WHEN a.atttypmod >= 0 THEN a.atttypmod ELSE 6 END END,"
	 " NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'dosql', 'pg_catalog', t.typname,"
	 " NULL, NULL, NULL, NULL, a.attnum, 'NO', CASE WHEN a.attidentity = '' THEN 'NO' ELSE 'YES' END,"
	 " CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END,"
	 " CASE WHEN a.attidentity <> '' THEN q.seqstart END, CASE WHEN a.attidentity <> '' THEN q.seqincrement END,"
	 " CASE WHEN a.attidentity <> '' THEN q.seqmax END, CASE WHEN a.attidentity <> '' THEN q.seqmin END,"
	 " CASE WHEN a.attidentity <> '' THEN CASE WHEN q.seqcycle THEN 'YES' ELSE 'NO' END ELSE 'NO' END, 'NEVER',"
	 " NULL, 'YES' FROM main._dosql_attribute a JOIN main._dosql_class c ON c.oid = a.attrelid AND c.relkind IN ('r', 'v')"
	 " LEFT JOIN temp._dosql_builtin_type t ON t.oid = a.atttypid LEFT JOIN temp.pg_depend d ON d.refobjid = a.attrelid"
	 " AND d.refobjsubid = a.attnum LEFT JOIN main._dosql_sequence q ON q.seqrelid = d.objid"},
	{"information_schema.table_constraints", 13403,
	 "constraint_catalog:name,constraint_schema:name,constraint_name:name,table_catalog:name,table_schema:name,"
	 "table_name:name,constraint_type:varchar,is_deferrable:varchar,initially_deferred:varchar,enforced:varchar,"
	 "nulls_distinct:varchar",
	 "SELECT 'dosql', 'public', k.conname, 'dosql', 'public', c.relname, CASE k.contype WHEN 'p' THEN 'PRIMARY KEY'"
	 " WHEN 'u' THEN 'UNIQUE' WHEN 'f' THEN 'FOREIGN KEY' ELSE 'CHECK' END, 'NO', 'NO', 'YES',"
	 " CASE WHEN k.contype = 'u' THEN 'YES' END FROM temp.pg_constraint k JOIN main._dosql_class c"
	 " ON c.oid = k.conrelid"
	 /* NOT NULL columns, as PostgreSQL 15 lists them */
	 " UNION ALL SELECT 'dosql', 'public', '2200_' || a.attrelid || '_' || a.attnum || '_not_null', 'dosql',"
	 " 'public', c.relname, 'CHECK', 'NO', 'NO', 'YES', NULL FROM main._dosql_attribute a JOIN main._dosql_class c"
	 " ON c.oid = a.attrelid AND c.relkind = 'r' WHERE a.attnotnull"},
	{"information_schema.key_column_usage", 13404,
	 "constraint_catalog:name,constraint_schema:name,constraint_name:name,table_catalog:name,table_schema:name,"
	 "table_name:name,column_name:name,ordinal_position:int4,position_in_unique_constraint:int4",
	 "SELECT 'dosql', 'public', k.conname, 'dosql', 'public', c.relname, a.attname, e.key + 1,"
	 " CASE WHEN k.contype = 'f' THEN e.key + 1 END FROM temp.pg_constraint k JOIN main._dosql_class c"
	 " ON c.oid = k.conrelid, json_each('[' || substr(k.conkey, 2, length(k.conkey) - 2) || ']') e"
	 " JOIN main._dosql_attribute a ON a.attrelid = k.conrelid AND a.attnum = e.value"
	 " WHERE k.contype IN ('p', 'u', 'f')"},
	/* the columns of primary keys and UNIQUE, the referenced columns of
	 * foreign keys (a CHECK's columns are not listed) */
	{"information_schema.constraint_column_usage", 13411,
	 "table_catalog:name,table_schema:name,table_name:name,column_name:name,constraint_catalog:name,"
	 "constraint_schema:name,constraint_name:name",
	 "SELECT 'dosql', 'public', c.relname, a.attname, 'dosql', 'public', k.conname FROM temp.pg_constraint k"
	 " JOIN main._dosql_class c ON c.oid = CASE k.contype WHEN 'f' THEN k.confrelid ELSE k.conrelid END,"
	 " json_each('[' || substr(CASE k.contype WHEN 'f' THEN k.confkey ELSE k.conkey END, 2,"
	 " length(CASE k.contype WHEN 'f' THEN k.confkey ELSE k.conkey END) - 2) || ']') e"
	 " JOIN main._dosql_attribute a ON a.attrelid = c.oid AND a.attnum = e.value WHERE k.contype IN ('p', 'u', 'f')"},
	{"information_schema.referential_constraints", 13405,
	 "constraint_catalog:name,constraint_schema:name,constraint_name:name,unique_constraint_catalog:name,"
	 "unique_constraint_schema:name,unique_constraint_name:name,match_option:varchar,update_rule:varchar,"
	 "delete_rule:varchar",
	 "SELECT 'dosql', 'public', k.conname, 'dosql', 'public', (SELECT u.conname FROM main._dosql_constraint u"
	 " WHERE u.conrelid = k.confrelid AND u.contype IN ('p', 'u') AND u.conkey = k.confkey), 'NONE', 'NO ACTION',"
	 " CASE k.confdeltype WHEN 'c' THEN 'CASCADE' ELSE 'NO ACTION' END FROM temp.pg_constraint k"
	 " WHERE k.contype = 'f'"},
	{"information_schema.check_constraints", 13406,
	 "constraint_catalog:name,constraint_schema:name,constraint_name:name,check_clause:varchar",
	 "SELECT 'dosql', 'public', conname, substr(condef, 7) FROM main._dosql_constraint WHERE contype = 'c'"
	 " UNION ALL SELECT 'dosql', 'public', '2200_' || attrelid || '_' || attnum || '_not_null',"
	 " attname || ' IS NOT NULL' FROM main._dosql_attribute WHERE attnotnull"},
	{"information_schema.sequences", 13407,
	 "sequence_catalog:name,sequence_schema:name,sequence_name:name,data_type:varchar,numeric_precision:int4,"
	 "numeric_precision_radix:int4,numeric_scale:int4,start_value:varchar,minimum_value:varchar,"
	 "maximum_value:varchar,increment:varchar,cycle_option:varchar",
	 "SELECT 'dosql', 'public', c.relname, pg_format_type(s.seqtypid, -1), CASE s.seqtypid WHEN 21 THEN 16"
	 " WHEN 23 THEN 32 ELSE 64 END, 2, 0, s.seqstart, s.seqmin, s.seqmax, s.seqincrement,"
	 " CASE WHEN s.seqcycle THEN 'YES' ELSE 'NO' END FROM main._dosql_sequence s JOIN main._dosql_class c"
	 " ON c.oid = s.seqrelid WHERE NOT EXISTS(SELECT 1 FROM temp.pg_depend d WHERE d.objid = s.seqrelid"
	 " AND d.deptype = 'i')"},
	{"information_schema.views", 13408,
	 "table_catalog:name,table_schema:name,table_name:name,view_definition:varchar,check_option:varchar,"
	 "is_updatable:varchar,is_insertable_into:varchar,is_trigger_updatable:varchar,is_trigger_deletable:varchar,"
	 "is_trigger_insertable_into:varchar",
	 NULL},
};

const PgsSysRel *pgs_sysrel(const char *name)
{
	for (size_t i = 0; i < sizeof(sysrels) / sizeof(sysrels[0]); i++)
		if (strcmp(sysrels[i].name, name) == 0)
			return &sysrels[i];
	return NULL;
}

/* CREATE TEMP TABLE/VIEW r(col, ...) [AS select] into b. */
static void create_sql(Buf *b, const PgsSysRel *r)
{
	buf_printf(b, "CREATE TEMP %s \"%s\"(", r->select ? "VIEW" : "TABLE", r->name);
	const char *p = r->columns;
	bool first = true;
	while (*p) {
		const char *colon = strchr(p, ':');
		const char *comma = strchr(p, ',');
		buf_printf(b, "%s\"%.*s\"", first ? "" : ", ", (int)(colon - p), p);
		first = false;
		p = comma ? comma + 1 : p + strlen(p);
	}
	buf_put_u8(b, ')');
	if (r->select)
		buf_printf(b, " AS %s", r->select);
}

/* Prepare the insert that fills a catalog table; false with errmsg set. */
static bool prepare_fill(sqlite3 *db, const char *sql, sqlite3_stmt **st, char **errmsg)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK)
		return true;
	*errmsg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
	return false;
}

/*
 * pg_proc's rows: one per function the translator knows, in pg_catalog,
 * numbered from 9000 in the translator's order (stable for a given build).
 * A result type that follows the argument shows as anyelement.
 */
static bool fill_pg_proc(sqlite3 *db, char **errmsg)
{
	sqlite3_stmt *st;
	if (!prepare_fill(db,
			  "INSERT INTO temp.pg_proc(oid, proname, pronamespace, proowner, prolang, procost, prorows,"
			  " provariadic, prosupport, prokind, prosecdef, proleakproof, proisstrict, proretset, provolatile,"
			  " proparallel, pronargs, pronargdefaults, prorettype, proargtypes, prosrc)"
			  " VALUES(?1, ?2, 11, " ROLE_DOSQL ", 12, 1, 0, 0, 0, ?3, 0, 0, 1, 0, 'i', 's', 0, 0, ?4, '', ?2)",
			  &st, errmsg))
		return false;
	const char *name;
	uint32_t ret;
	char kind[2] = {0, 0};
	for (size_t i = 0; (name = pgs_builtin_function(i, &ret, &kind[0])) != NULL; i++) {
		sqlite3_bind_int64(st, 1, 9000 + (int64_t)i);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, kind, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 4, ret ? ret : 2283);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return true;
}

/* pg_type's rows: one per type DoSQL knows, in pg_catalog. */
static bool fill_pg_type(sqlite3 *db, char **errmsg)
{
	sqlite3_stmt *st;
	if (!prepare_fill(db,
			  "INSERT INTO temp._dosql_builtin_type(oid, typname, typnamespace, typowner, typlen, typbyval, typtype,"
			  " typcategory, typispreferred, typisdefined, typdelim, typrelid, typsubscript, typelem, typarray,"
			  " typalign, typstorage, typnotnull, typbasetype, typtypmod, typndims, typcollation, typinput)"
			  " VALUES(?1, ?2, 11, " ROLE_DOSQL ", ?3, ?4, ?5, ?6, 0, 1, ',', 0, 0, ?7, ?8, ?9, ?10, 0, 0, -1, 0,"
			  " ?11, CASE WHEN ?6 = 'A' THEN 750 ELSE 0 END)",
			  &st, errmsg))
		return false;
	for (int i = 0; i < pgt_ntypes; i++) {
		const PgType *t = &pgt_types[i];
		char typtype[2] = {t->category == 'P' ? 'p' : 'b', 0};
		char cat[2] = {t->category, 0};
		/* alignment and storage as PostgreSQL declares them for its types */
		const char *align = t->len == 8 || t->oid == PGT_INTERVAL || t->oid == PGT_TIMETZ ? "d"
				    : t->len == 2						 ? "s"
				    : t->len == 1 || t->len == -2 || t->oid == PGT_UUID || t->oid == PGT_NAME ? "c"
															 : "i";
		const char *storage = t->len != -1 ? "p" : t->oid == PGT_NUMERIC ? "m" : "x";
		uint32_t coll = t->oid == PGT_NAME ? 950 : t->category == 'S' ? 100 : 0;
		sqlite3_bind_int64(st, 1, t->oid);
		sqlite3_bind_text(st, 2, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, t->len);
		sqlite3_bind_int(st, 4, t->byval);
		sqlite3_bind_text(st, 5, typtype, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 6, cat, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 7, t->elem_oid);
		sqlite3_bind_int64(st, 8, t->array_oid);
		sqlite3_bind_text(st, 9, align, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, storage, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 11, coll);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return true;
}

bool pgs_catalog_attach(sqlite3 *db, char **errmsg)
{
	for (size_t i = 0; i < sizeof(sysrels) / sizeof(sysrels[0]); i++) {
		Buf sql;
		buf_init(&sql);
		create_sql(&sql, &sysrels[i]);
		bool ok = sqlite3_exec(db, buf_cstr(&sql), NULL, NULL, errmsg) == SQLITE_OK;
		buf_cleanup(&sql);
		if (!ok)
			return false;
		if ((strcmp(sysrels[i].name, "_dosql_builtin_type") == 0 && !fill_pg_type(db, errmsg)) ||
		    (strcmp(sysrels[i].name, "pg_proc") == 0 && !fill_pg_proc(db, errmsg)))
			return false;
	}
	return true;
}
