// The PostgreSQL JDBC driver (pgjdbc) against a PostgreSQL-protocol server.
//
// Usage: java -cp DIR:postgresql.jar JdbcChecks HOST PORT USER PASSWORD DATABASE
//
// Runs named checks and prints one JSON object per line:
//   {"name": "<check>", "value": <JSON value>}
// or, when the check threw, {"name": "<check>", "error": "<SQLSTATE or message>"}.
// t/111_jdbc.pl runs it against PostgreSQL 15 and against the router and
// compares the two, check by check.  Run both with the same
// -Duser.timezone: the driver sends the JVM's zone as the session's
// TimeZone.
import java.math.BigDecimal;
import java.sql.*;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.*;

public class JdbcChecks
{
	interface Check
	{
		Object run() throws Exception;
	}

	interface Binder
	{
		void bind(PreparedStatement ps, int execution) throws SQLException;
	}

	static Connection conn;
	static String url;
	static Properties props = new Properties();

	public static void main(String[] args) throws Exception
	{
		url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/" + args[4];
		props.setProperty("user", args[2]);
		props.setProperty("password", args[3]);
		conn = DriverManager.getConnection(url, props);
		setup();
		types();
		preparedReuse();
		batches();
		generatedKeys();
		transactions();
		errors();
		metadata();
		modes();
		conn.close();
	}

	static void setup() throws SQLException
	{
		try (Statement s = conn.createStatement())
		{
			s.execute("drop table if exists jd_items");
			s.execute("drop table if exists jd_gen");
			s.execute("drop table if exists jd_serial");
			s.execute("create table jd_items (id int primary key, name text not null, v varchar(20),"
				+ " price numeric(10,2), ok bool, day date, ts timestamp, tstz timestamptz, u uuid,"
				+ " raw bytea, doc jsonb, f float8, n bigint, tags text[], nums int[])");
			s.execute("create table jd_gen (id int primary key, name text, made text default 'auto',"
				+ " qty int default 7)");
			s.execute("create table jd_serial (id bigserial primary key, name text)");
		}
	}

	// Every common type written by a PreparedStatement (server-prepared and
	// binary after the fifth execution) and read back by its getter.
	static void types()
	{
		check("types: 40 rows inserted by one PreparedStatement", () -> {
			int n = 0;
			try (PreparedStatement ps = conn.prepareStatement("insert into jd_items"
				+ " (id, name, v, price, ok, day, ts, tstz, u, raw, doc, f, n, tags, nums)"
				+ " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"))
			{
				for (int i = 1; i <= 40; i++)
				{
					ps.setInt(1, i);
					ps.setString(2, "n" + i);
					if (i % 7 == 0)
						ps.setNull(3, Types.VARCHAR);
					else
						ps.setString(3, "v" + i);
					ps.setBigDecimal(4, new BigDecimal(i).multiply(new BigDecimal("1.25")));
					ps.setBoolean(5, i % 3 == 0);
					ps.setObject(6, LocalDate.of(2024, 3, i % 28 + 1));
					ps.setTimestamp(7, Timestamp.valueOf(LocalDateTime.of(2024, 1, i % 28 + 1, 12, 30, i, i * 1000)));
					ps.setObject(8, OffsetDateTime.of(2024, 2, i % 28 + 1, 8, 15, 0, 0, ZoneOffset.ofHours(i % 5)));
					ps.setObject(9, UUID.fromString(String.format("00000000-0000-4000-8000-%012d", i)));
					ps.setBytes(10, new byte[] { (byte) i, 0, (byte) 255 });
					ps.setObject(11, "{\"k\": " + i + ", \"s\": \"v" + i + "\"}", Types.OTHER);
					ps.setDouble(12, i / 8.0);
					ps.setLong(13, i * 1000000000000L);
					ps.setArray(14, conn.createArrayOf("text", new String[] { "a", "b" + i }));
					ps.setArray(15, conn.createArrayOf("int4", new Integer[] { i, i * 2, null }));
					n += ps.executeUpdate();
				}
			}
			return n;
		});
		// (jsonb is not among the types the driver knows without asking
		// the catalog: it has checks of its own)
		String cols = "id, name, v, price, ok, day, ts, tstz, u, raw, f, n, tags, nums";
		for (int id : new int[] { 7, 12 })
			check("types: every getter, row " + id, () -> executions(
				"select " + cols + " from jd_items where id = ?", 1, (ps, i) -> ps.setInt(1, id)));
		check("types: jsonb by getString", () -> {
			try (PreparedStatement ps = conn.prepareStatement("select doc from jd_items where id = ?"))
			{
				ps.setInt(1, 7);
				ResultSet rs = ps.executeQuery();
				rs.next();
				return rs.getString(1);
			}
		});
		check("catalog: jsonb by getObject and its type name", () -> {
			try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("select doc from jd_items where id = 3"))
			{
				rs.next();
				Object o = rs.getObject(1);
				return Arrays.asList(o.getClass().getName(), o.toString(), rs.getMetaData().getColumnTypeName(1));
			}
		});
		check("types: getObject classes", () -> {
			try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("select " + cols + " from jd_items where id = 3"))
			{
				List<Object> out = new ArrayList<>();
				rs.next();
				for (int c = 1; c <= rs.getMetaData().getColumnCount(); c++)
				{
					Object o = rs.getObject(c);
					out.add(o == null ? null : o.getClass().getName());
				}
				return out;
			}
		});
		check("types: java.time getters", () -> {
			try (Statement s = conn.createStatement();
				 ResultSet rs = s.executeQuery("select day, ts, tstz from jd_items where id = 5"))
			{
				rs.next();
				return Arrays.asList(rs.getObject(1, LocalDate.class).toString(),
					rs.getObject(2, LocalDateTime.class).toString(), rs.getObject(3, OffsetDateTime.class).toString());
			}
		});
		check("types: NULL parameter and wasNull", () -> {
			try (PreparedStatement ps = conn.prepareStatement("select count(*) from jd_items where (?::text is null or name = ?)"))
			{
				ps.setNull(1, Types.VARCHAR);
				ps.setNull(2, Types.VARCHAR);
				ResultSet rs = ps.executeQuery();
				rs.next();
				return rs.getLong(1);
			}
		});
		check("types: wasNull on a NULL column", () -> {
			try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("select v from jd_items where id = 14"))
			{
				rs.next();
				String v = rs.getString(1);
				return Arrays.asList(v, rs.wasNull());
			}
		});
		check("types: expressions and literals", () -> {
			return query("select 1 as a, 'x'::text as b, 2.50::numeric(5,2) as c, true as d, '2024-05-06'::date as e,"
				+ " 9000000000::bigint as g, 1.5::float8 as h, '\\x00ff'::bytea as i, '{1,2}'::int[] as j");
		});
		check("types: ARRAY constructor", () -> {
			return query("select array[1,2] as a, array['x', null] as b");
		});
	}

	// A PreparedStatement executed more than prepareThreshold (5) times:
	// the driver then uses a named server statement and binary results.
	static void preparedReuse()
	{
		check("prepared: one statement executed 12 times", () -> executions(
			"select id, name, price, ok, day, ts, tstz, u, raw, f, n, nums from jd_items where id = ?", 12,
			(ps, i) -> ps.setInt(1, i * 3)));
		check("prepared: scatter read with a parameter, 8 times", () -> executions(
			"select id, price from jd_items where price > ? order by price desc, id limit 3", 8,
			(ps, i) -> ps.setBigDecimal(1, new BigDecimal((i - 1) * 5))));
		check("prepared: aggregate executed 7 times", () -> executions(
			"select count(*), sum(price), max(ts), min(day) from jd_items where id <= ?", 7,
			(ps, i) -> ps.setInt(1, i * 5)));
		check("prepared: update executed 6 times, counts", () -> executions(
			"update jd_items set f = f + 1 where id = ?", 6, (ps, i) -> ps.setInt(1, i * 6)));
		check("prepared: fetch size in a transaction", () -> inTransaction(() -> {
			try (PreparedStatement ps = conn.prepareStatement("select id, name from jd_items where id > ? order by id"))
			{
				ps.setFetchSize(7);
				ps.setInt(1, 10);
				List<Object> out = rows(ps.executeQuery());
				conn.commit();
				return out;
			}
		}));
		check("prepared: other statements between a cursor's fetches", () -> inTransaction(() -> {
			try (PreparedStatement ps = conn.prepareStatement("select id from jd_items where id <= ? order by id");
				 Statement other = conn.createStatement())
			{
				ps.setFetchSize(4);
				ps.setInt(1, 12);
				List<Object> out = new ArrayList<>();
				ResultSet rs = ps.executeQuery();
				while (rs.next())
				{
					ResultSet o = other.executeQuery("select name from jd_items where id = " + rs.getInt(1));
					o.next();
					out.add(o.getString(1));
					o.close();
				}
				conn.commit();
				return out;
			}
		}));
		check("callable: {? = call f(?)}", () -> {
			List<Object> out = new ArrayList<>();
			try (CallableStatement cs = conn.prepareCall("{? = call upper(?)}"))
			{
				cs.registerOutParameter(1, Types.VARCHAR);
				cs.setString(2, "abc");
				cs.execute();
				out.add(cs.getString(1));
			}
			try (CallableStatement cs = conn.prepareCall("{? = call length(?)}"))
			{
				cs.registerOutParameter(1, Types.INTEGER);
				for (String v : new String[] { "a", "abcd", "" })
				{
					cs.setString(2, v);
					cs.execute();
					out.add(cs.getInt(1));
				}
			}
			return out;
		});
		check("statement: two results from one execute", () -> {
			try (Statement s = conn.createStatement())
			{
				List<Object> out = new ArrayList<>();
				boolean more = s.execute("select 1 as one; update jd_items set ok = ok where id = 1; select 2 as two");
				while (true)
				{
					if (more)
						out.add(rows(s.getResultSet()));
					else if (s.getUpdateCount() >= 0)
						out.add(s.getUpdateCount());
					else
						break;
					more = s.getMoreResults();
				}
				return out;
			}
		});
	}

	static void batches()
	{
		check("batch: prepared inserts over the shards", () -> {
			try (PreparedStatement ps = conn.prepareStatement("insert into jd_items (id, name, price) values (?, ?, ?)"))
			{
				for (int i = 101; i <= 112; i++)
				{
					ps.setInt(1, i);
					ps.setString(2, "b" + i);
					ps.setBigDecimal(3, new BigDecimal(i));
					ps.addBatch();
				}
				return toList(ps.executeBatch());
			}
		});
		check("batch: the rows are there", () -> {
			return query("select count(*), sum(price) from jd_items where id > 100");
		});
		check("batch: statements of several kinds", () -> {
			try (Statement s = conn.createStatement())
			{
				s.addBatch("insert into jd_items (id, name) values (201, 'x')");
				s.addBatch("insert into jd_items (id, name) values (202, 'y'), (203, 'z')");
				s.addBatch("update jd_items set name = 'w' where id > 200");
				s.addBatch("delete from jd_items where id = 203");
				return toList(s.executeBatch());
			}
		});
		check("batch: a duplicate key fails the whole batch", () -> {
			try (PreparedStatement ps = conn.prepareStatement("insert into jd_items (id, name) values (?, ?)"))
			{
				for (int id : new int[] { 301, 302, 5, 303 })
				{
					ps.setInt(1, id);
					ps.setString(2, "dup");
					ps.addBatch();
				}
				try
				{
					ps.executeBatch();
					return "no error";
				}
				catch (BatchUpdateException e)
				{
					SQLException next = e.getNextException();
					return Arrays.asList(e.getSQLState(), next == null ? null : next.getSQLState());
				}
			}
		});
		check("batch: nothing of the failed batch is left", () -> {
			return query("select count(*) from jd_items where id between 301 and 303");
		});
		check("batch: in a transaction, then rollback", () -> inTransaction(() -> {
			try (PreparedStatement ps = conn.prepareStatement("update jd_items set name = ? where id = ?"))
			{
				for (int i = 1; i <= 8; i++)
				{
					ps.setString(1, "rb");
					ps.setInt(2, i);
					ps.addBatch();
				}
				List<Object> counts = toList(ps.executeBatch());
				conn.rollback();
				try (Statement s = conn.createStatement();
					 ResultSet rs = s.executeQuery("select count(*) from jd_items where name = 'rb'"))
				{
					return Arrays.asList(counts, rows(rs));
				}
			}
		}));
	}

	static void generatedKeys()
	{
		check("keys: RETURN_GENERATED_KEYS", () -> {
			try (PreparedStatement ps = conn.prepareStatement("insert into jd_gen (id, name) values (?, ?)",
				Statement.RETURN_GENERATED_KEYS))
			{
				List<Object> out = new ArrayList<>();
				for (int i = 1; i <= 7; i++)
				{
					ps.setInt(1, i);
					ps.setString(2, "g" + i);
					out.add(ps.executeUpdate());
					out.add(rows(ps.getGeneratedKeys()));
				}
				return out;
			}
		});
		check("keys: named key columns", () -> {
			try (PreparedStatement ps = conn.prepareStatement("insert into jd_gen (id, name, qty) values (?, ?, ?)",
				new String[] { "id", "made" }))
			{
				ps.setInt(1, 20);
				ps.setString(2, "named");
				ps.setInt(3, 3);
				return Arrays.asList(ps.executeUpdate(), rows(ps.getGeneratedKeys()));
			}
		});
		check("keys: batch with generated keys", () -> {
			try (PreparedStatement ps = conn.prepareStatement("insert into jd_gen (id, name) values (?, ?)",
				Statement.RETURN_GENERATED_KEYS))
			{
				for (int i = 31; i <= 36; i++)
				{
					ps.setInt(1, i);
					ps.setString(2, "bk" + i);
					ps.addBatch();
				}
				List<Object> counts = toList(ps.executeBatch());
				return Arrays.asList(counts, sorted(rows(ps.getGeneratedKeys())));
			}
		});
		check("keys: Statement.executeUpdate with generated keys", () -> {
			try (Statement s = conn.createStatement())
			{
				int n = s.executeUpdate("insert into jd_gen (id) values (40)", Statement.RETURN_GENERATED_KEYS);
				return Arrays.asList(n, rows(s.getGeneratedKeys()));
			}
		});
		check("keys: a multi-row INSERT over several shards, RETURNING in VALUES order", () -> executions(
			"insert into jd_gen (id, name) values (?, 'm1'), (?, 'm2'), (?, 'm3'), (?, 'm4'), (?, 'm5') returning id, name, made",
			2, (ps, i) -> {
				for (int k = 1; k <= 5; k++)
					ps.setInt(k, 100 * i + (k * 37) % 11);
			}));
		check("keys: bigserial ids the database generates, on a table sharded by them", () -> {
			try (PreparedStatement ps = conn.prepareStatement("insert into jd_serial (name) values (?)",
				Statement.RETURN_GENERATED_KEYS))
			{
				List<Object> out = new ArrayList<>();
				for (int i = 1; i <= 7; i++)
				{
					ps.setString(1, "s" + i);
					out.add(ps.executeUpdate());
					out.add(rows(ps.getGeneratedKeys()));
				}
				for (int i = 8; i <= 13; i++)
				{
					ps.setString(1, "b" + i);
					ps.addBatch();
				}
				out.add(toList(ps.executeBatch()));
				out.add(sorted(rows(ps.getGeneratedKeys())));
				return out;
			}
		});
		check("keys: update with generated keys", () -> {
			try (PreparedStatement ps = conn.prepareStatement("update jd_gen set qty = qty + 1 where id = ?",
				Statement.RETURN_GENERATED_KEYS))
			{
				ps.setInt(1, 3);
				return Arrays.asList(ps.executeUpdate(), rows(ps.getGeneratedKeys()));
			}
		});
	}

	static void transactions()
	{
		check("txn: commit over several shards", () -> {
			inTransaction(() -> {
				try (PreparedStatement ps = conn.prepareStatement("update jd_items set price = price + 100 where id = ?"))
				{
					for (int id = 1; id <= 6; id++)
					{
						ps.setInt(1, id);
						ps.executeUpdate();
					}
					conn.commit();
				}
				return null;
			});
			return query("select id, price from jd_items where id <= 6 order by id");
		});
		check("txn: rollback over several shards", () -> {
			inTransaction(() -> {
				try (Statement s = conn.createStatement())
				{
					s.executeUpdate("delete from jd_items where id > 30");
					s.executeUpdate("insert into jd_items (id, name) values (500, 'gone'), (501, 'gone')");
					conn.rollback();
				}
				return null;
			});
			return query("select count(*) from jd_items");
		});
		check("txn: reads see the transaction's writes", () -> inTransaction(() -> {
			try (Statement s = conn.createStatement())
			{
				s.executeUpdate("update jd_items set name = 'seen' where id in (2, 13, 24, 35)");
				List<Object> out = rows(s.executeQuery("select id from jd_items where name = 'seen' order by id"));
				conn.rollback();
				return out;
			}
		}));
		check("txn: an error aborts the transaction (25P02)", () -> inTransaction(() -> {
			try (Statement s = conn.createStatement())
			{
				s.executeUpdate("update jd_items set name = 'aborted' where id = 1");
				try
				{
					s.executeQuery("select 1/0");
				}
				catch (SQLException e)
				{
					/* 22012 */
				}
				try
				{
					s.executeQuery("select 1");
					return "no error";
				}
				catch (SQLException e)
				{
					return e.getSQLState();
				}
			}
			finally
			{
				conn.rollback();
			}
		}));
		check("txn: savepoint rolled back over several shards", () -> inTransaction(() -> {
			try (Statement s = conn.createStatement())
			{
				s.executeUpdate("update jd_items set name = 'sp1' where id in (3, 4)");
				Savepoint sp = conn.setSavepoint("sp");
				s.executeUpdate("update jd_items set name = 'sp2' where id in (5, 6)");
				conn.rollback(sp);
				conn.commit();
				return rows(s.executeQuery("select id, name from jd_items where id between 3 and 6 order by id"));
			}
		}));
		check("txn: a read-only transaction refuses writes", () -> inTransaction(() -> {
			conn.setReadOnly(true);
			try (Statement s = conn.createStatement())
			{
				s.executeQuery("select count(*) from jd_items where id in (1, 2, 3)").close();
				return s.executeUpdate("update jd_items set name = 'ro' where id = 2");
			}
			finally
			{
				conn.rollback();
				conn.setReadOnly(false);
			}
		}));
		check("txn: isolation level and read only", () -> inTransaction(() -> {
			conn.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
			conn.setReadOnly(true);
			try
			{
				List<Object> out = query("select count(*) from jd_items where id < 10");
				conn.commit();
				return out;
			}
			finally
			{
				conn.setReadOnly(false);
				conn.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
			}
		}));
	}

	static void errors()
	{
		check("error: unique violation", () -> {
			try (PreparedStatement ps = conn.prepareStatement("insert into jd_items (id, name) values (?, ?)"))
			{
				ps.setInt(1, 5);
				ps.setString(2, "dup");
				return ps.executeUpdate();
			}
		});
		check("error: undefined table", () -> {
			try (Statement s = conn.createStatement())
			{
				return rows(s.executeQuery("select * from nosuch"));
			}
		});
		check("error: division by zero", () -> {
			try (Statement s = conn.createStatement())
			{
				return rows(s.executeQuery("select 1/0"));
			}
		});
		check("error: division by zero, prepared", () -> {
			try (PreparedStatement ps = conn.prepareStatement("select 10 / ? as q"))
			{
				ps.setInt(1, 0);
				return rows(ps.executeQuery());
			}
		});
		check("error: not-null violation", () -> {
			try (PreparedStatement ps = conn.prepareStatement("insert into jd_items (id, name) values (?, ?)"))
			{
				ps.setInt(1, 600);
				ps.setNull(2, Types.VARCHAR);
				return ps.executeUpdate();
			}
		});
		check("error: syntax error", () -> {
			try (Statement s = conn.createStatement())
			{
				return s.execute("selec 1");
			}
		});
		for (String sql : new String[] { "select pg_sleep(5)", "select count(pg_sleep(0.2)) from jd_items" })
			check("error: setQueryTimeout cancels " + sql, () -> {
				try (Statement s = conn.createStatement())
				{
					s.setQueryTimeout(1);
					return rows(s.executeQuery(sql));
				}
			});
		check("warning: a notice of a statement on every shard, once", () -> {
			try (Statement s = conn.createStatement())
			{
				s.execute("drop table if exists jd_nosuch");
				List<Object> out = new ArrayList<>();
				for (SQLWarning w = s.getWarnings(); w != null; w = w.getNextWarning())
					out.add(Arrays.asList(w.getSQLState(), w.getMessage()));
				return out;
			}
		});
		check("error: the session goes on", () -> {
			try (Statement s = conn.createStatement())
			{
				return rows(s.executeQuery("select 1 as one"));
			}
		});
	}

	static void metadata()
	{
		check("meta: ResultSetMetaData", () -> {
			try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("select * from jd_items where id = 1"))
			{
				ResultSetMetaData md = rs.getMetaData();
				List<Object> out = new ArrayList<>();
				for (int c = 1; c <= md.getColumnCount(); c++)
					out.add(Arrays.asList(md.getColumnName(c), md.getColumnLabel(c), md.getColumnType(c),
						md.getColumnTypeName(c), md.getColumnClassName(c), md.getPrecision(c), md.getScale(c)));
				return out;
			}
		});
		check("meta: ResultSetMetaData of a prepared statement", () -> {
			try (PreparedStatement ps = conn.prepareStatement("select id, name, price from jd_items where id = ?"))
			{
				ResultSetMetaData md = ps.getMetaData();
				List<Object> out = new ArrayList<>();
				for (int c = 1; c <= md.getColumnCount(); c++)
					out.add(Arrays.asList(md.getColumnName(c), md.getColumnTypeName(c)));
				ParameterMetaData pm = ps.getParameterMetaData();
				out.add(Arrays.asList(pm.getParameterCount(), pm.getParameterTypeName(1)));
				return out;
			}
		});
		check("meta: nullability, table and auto-increment", () -> {
			try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("select id, name, v from jd_items where id = 1"))
			{
				ResultSetMetaData md = rs.getMetaData();
				List<Object> out = new ArrayList<>();
				for (int c = 1; c <= md.getColumnCount(); c++)
					out.add(Arrays.asList(md.getColumnName(c), md.isNullable(c), md.getTableName(c), md.isAutoIncrement(c)));
				return out;
			}
		});
		check("meta: getTables", () -> {
			DatabaseMetaData md = conn.getMetaData();
			try (ResultSet rs = md.getTables(null, "public", "jd_%", new String[] { "TABLE" }))
			{
				List<Object> out = new ArrayList<>();
				while (rs.next())
					out.add(Arrays.asList(rs.getString("TABLE_SCHEM"), rs.getString("TABLE_NAME"), rs.getString("TABLE_TYPE")));
				return out;
			}
		});
		check("meta: getColumns", () -> {
			DatabaseMetaData md = conn.getMetaData();
			try (ResultSet rs = md.getColumns(null, "public", "jd_gen", null))
			{
				List<Object> out = new ArrayList<>();
				while (rs.next())
					out.add(Arrays.asList(rs.getString("COLUMN_NAME"), rs.getInt("DATA_TYPE"), rs.getString("TYPE_NAME"),
						rs.getInt("NULLABLE"), rs.getString("COLUMN_DEF"), rs.getInt("ORDINAL_POSITION")));
				return out;
			}
		});
		check("meta: getPrimaryKeys", () -> {
			DatabaseMetaData md = conn.getMetaData();
			try (ResultSet rs = md.getPrimaryKeys(null, "public", "jd_items"))
			{
				List<Object> out = new ArrayList<>();
				while (rs.next())
					out.add(Arrays.asList(rs.getString("TABLE_NAME"), rs.getString("COLUMN_NAME"), rs.getInt("KEY_SEQ")));
				return out;
			}
		});
		check("meta: server version", () -> {
			DatabaseMetaData md = conn.getMetaData();
			return Arrays.asList(md.getDatabaseProductName(), md.getDatabaseMajorVersion());
		});
	}

	// Connections with other driver settings, each running a statement.
	static void modes()
	{
		String cols = "select id, name, v, price, ok, day, ts, tstz, u, raw, f, n, tags, nums from jd_items";
		String[][] settings = {
			{ "reWriteBatchedInserts", "true" }, // a batch of inserts as multi-row INSERTs
			{ "preferQueryMode", "simple" },     // parameters inlined, simple Query messages
			{ "binaryTransfer", "false" },       // every result in text
			{ "prepareThreshold", "1" },         // server-prepared from the first execution
		};
		for (String[] setting : settings)
			check("mode " + setting[0] + "=" + setting[1], () -> {
				Properties p = (Properties) props.clone();
				p.setProperty(setting[0], setting[1]);
				Connection saved = conn;
				try (Connection c = DriverManager.getConnection(url, p))
				{
					conn = c;
					List<Object> out = new ArrayList<>();
					try (PreparedStatement ps = c.prepareStatement("insert into jd_gen (id, name) values (?, ?)"))
					{
						for (int i = 0; i < 10; i++)
						{
							ps.setInt(1, 1000 + i);
							ps.setString(2, "it's " + setting[0]);
							ps.addBatch();
						}
						out.add(toList(ps.executeBatch()));
					}
					out.add(query("select count(*), min(name) from jd_gen where id >= 1000"));
					out.add(query("delete from jd_gen where id >= 1000 returning id").size());
					for (int i = 0; i < 3; i++)
						out.add(executions(cols + " where id = ? or v = ?", 1, (ps, k) -> {
							ps.setInt(1, 17);
							ps.setString(2, "it's");
						}));
					return out;
				}
				finally
				{
					conn = saved;
				}
			});
	}

	// ---- helpers ----

	// The rows of a query run by a Statement.
	static List<Object> query(String sql) throws SQLException
	{
		try (Statement s = conn.createStatement())
		{
			return rows(s.executeQuery(sql));
		}
	}

	// sql executed `times` times by one PreparedStatement, bind setting the
	// parameters of execution 1, 2, ...: each execution's rows or count.
	static List<Object> executions(String sql, int times, Binder bind) throws SQLException
	{
		List<Object> out = new ArrayList<>();
		try (PreparedStatement ps = conn.prepareStatement(sql))
		{
			for (int i = 1; i <= times; i++)
			{
				bind.bind(ps, i);
				out.add(ps.execute() ? rows(ps.getResultSet()) : (Object) ps.getUpdateCount());
			}
		}
		return out;
	}

	// body with autocommit off; autocommit back on after it.
	static Object inTransaction(Check body) throws Exception
	{
		conn.setAutoCommit(false);
		try
		{
			return body.run();
		}
		finally
		{
			conn.setAutoCommit(true);
		}
	}

	static void check(String name, Check c)
	{
		Map<String, Object> out = new LinkedHashMap<>();
		out.put("name", name);
		try
		{
			out.put("value", c.run());
		}
		catch (SQLException e)
		{
			out.put("error", e.getSQLState() != null ? e.getSQLState() : String.valueOf(e.getMessage()));
			out.put("message", String.valueOf(e.getMessage()));
		}
		catch (Exception e)
		{
			out.put("error", e.toString());
		}
		System.out.println(json(out));
		System.out.flush();
	}

	// Every row as a list of its values, each read with the getter of its
	// column's type and made into something JSON carries.
	static List<Object> rows(ResultSet rs) throws SQLException
	{
		ResultSetMetaData md = rs.getMetaData();
		List<Object> out = new ArrayList<>();
		while (rs.next())
		{
			List<Object> row = new ArrayList<>();
			for (int c = 1; c <= md.getColumnCount(); c++)
				row.add(value(rs, c, md.getColumnTypeName(c)));
			out.add(row);
		}
		rs.close();
		return out;
	}

	static Object value(ResultSet rs, int c, String type) throws SQLException
	{
		Object v;
		switch (type)
		{
		case "int4":
		case "int2":
			v = rs.getInt(c);
			break;
		case "int8":
			v = rs.getLong(c);
			break;
		case "numeric":
			BigDecimal d = rs.getBigDecimal(c);
			v = d == null ? null : d.toPlainString();
			break;
		case "bool":
			v = rs.getBoolean(c);
			break;
		case "float8":
		case "float4":
			v = rs.getDouble(c);
			break;
		case "date":
			java.sql.Date dt = rs.getDate(c);
			v = dt == null ? null : dt.toString();
			break;
		case "timestamp":
		case "timestamptz":
			Timestamp ts = rs.getTimestamp(c);
			v = ts == null ? null : ts.toInstant().toString() + " " + rs.getString(c);
			break;
		case "uuid":
			Object u = rs.getObject(c);
			v = u == null ? null : u.getClass().getSimpleName() + ":" + u;
			break;
		case "bytea":
			byte[] b = rs.getBytes(c);
			v = b == null ? null : hex(b);
			break;
		default:
			if (type.startsWith("_"))
			{
				Array a = rs.getArray(c);
				v = a == null ? null : Arrays.asList(a.getBaseTypeName(), Arrays.asList((Object[]) a.getArray()), rs.getString(c));
			}
			else
				v = rs.getString(c);
		}
		return rs.wasNull() ? null : v;
	}

	static String hex(byte[] b)
	{
		StringBuilder sb = new StringBuilder("\\x");
		for (byte x : b)
			sb.append(String.format("%02x", x & 0xff));
		return sb.toString();
	}

	static List<Object> toList(int[] a)
	{
		List<Object> out = new ArrayList<>();
		for (int x : a)
			out.add(x);
		return out;
	}

	static List<Object> sorted(List<Object> rows)
	{
		rows.sort(Comparator.comparing(JdbcChecks::json));
		return rows;
	}

	static String json(Object o)
	{
		if (o == null)
			return "null";
		if (o instanceof Boolean || o instanceof Integer || o instanceof Long)
			return o.toString();
		if (o instanceof Double)
			return o.toString();
		if (o instanceof Map)
		{
			StringBuilder sb = new StringBuilder("{");
			for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet())
			{
				if (sb.length() > 1)
					sb.append(",");
				sb.append(json(e.getKey().toString())).append(":").append(json(e.getValue()));
			}
			return sb.append("}").toString();
		}
		if (o instanceof List)
		{
			StringBuilder sb = new StringBuilder("[");
			for (Object e : (List<?>) o)
			{
				if (sb.length() > 1)
					sb.append(",");
				sb.append(json(e));
			}
			return sb.append("]").toString();
		}
		String s = o.toString();
		StringBuilder sb = new StringBuilder("\"");
		for (char ch : s.toCharArray())
		{
			if (ch == '"' || ch == '\\')
				sb.append('\\').append(ch);
			else if (ch < 0x20)
				sb.append(String.format("\\u%04x", (int) ch));
			else
				sb.append(ch);
		}
		return sb.append("\"").toString();
	}
}
