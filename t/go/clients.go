// lib/pq (database/sql) against a PostgreSQL-protocol server.
//
// Usage: clients DSN
//
// Runs named checks and prints one JSON object per line:
//
//	{"name": "<check>", "value": <JSON value>}
//
// or, when the check failed, {"name": "<check>", "error": "<SQLSTATE or message>"}.
// t/112_go_pq.pl runs it against PostgreSQL 15 and against the router and
// compares the two, check by check.
package main

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/lib/pq"
)

func emit(name string, r map[string]interface{}) {
	r["name"] = name
	b, err := json.Marshal(r)
	if err != nil {
		b, _ = json.Marshal(map[string]interface{}{"name": name, "error": err.Error()})
	}
	fmt.Println(string(b))
}

func check(name string, fn func() (interface{}, error)) {
	v, err := fn()
	if err == nil {
		emit(name, map[string]interface{}{"value": v})
		return
	}
	var pe *pq.Error
	if errors.As(err, &pe) {
		emit(name, map[string]interface{}{"error": string(pe.Code), "message": pe.Message})
	} else {
		emit(name, map[string]interface{}{"error": err.Error()})
	}
}

// Every row as a list of its values as JSON carries them: bytea as \x hex,
// times in UTC, other byte strings as text.
func collect(rows *sql.Rows, err error) (interface{}, error) {
	types, err := columns(rows, err)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := [][]interface{}{}
	for rows.Next() {
		vals := make([]interface{}, len(types))
		ptrs := make([]interface{}, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			vals[i] = plain(v, types[i].DatabaseTypeName())
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}

// The result's columns; the rows are closed on an error.
func columns(rows *sql.Rows, err error) ([]*sql.ColumnType, error) {
	if err != nil {
		return nil, err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		rows.Close()
	}
	return types, err
}

func plain(v interface{}, typ string) interface{} {
	switch x := v.(type) {
	case []byte:
		if typ == "BYTEA" {
			return "\\x" + hex.EncodeToString(x)
		}
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case nil:
		return nil
	default:
		return fmt.Sprintf("%T:%v", x, x)
	}
}

func exec(r sql.Result, err error) (interface{}, error) {
	if err != nil {
		return nil, err
	}
	return r.RowsAffected()
}

func main() {
	db, err := sql.Open("postgres", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one session: statements run in order on it
	for _, q := range []string{"drop table if exists go_items",
		`create table go_items (id int primary key, name text not null, price numeric(10,2), ok bool,
			at timestamptz, day date, raw bytea, u uuid, n bigint, f float8, tags text[], doc jsonb)`} {
		if _, err := db.Exec(q); err != nil {
			fmt.Fprintln(os.Stderr, q, err)
			os.Exit(1)
		}
	}
	queries(db)
	prepared(db)
	transactions(db)
	failures(db)
	binaryParameters(os.Args[1] + " binary_parameters=yes")
}

func queries(db *sql.DB) {
	check("exec: 40 rows with parameters", func() (interface{}, error) {
		n := int64(0)
		for i := 1; i <= 40; i++ {
			r, err := db.Exec(`insert into go_items (id, name, price, ok, at, day, raw, u, n, f, tags, doc)
				values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
				i, fmt.Sprintf("n%d", i), fmt.Sprintf("%d.25", i), i%3 == 0,
				time.Date(2024, 1, i%28+1, 12, 30, i, i*1000, time.FixedZone("x", 3600*(i%5))),
				fmt.Sprintf("2024-03-%02d", i%28+1), []byte{byte(i), 0, 255},
				fmt.Sprintf("00000000-0000-4000-8000-%012d", i), int64(i)*1000000000000, float64(i)/8,
				pq.Array([]string{"a", fmt.Sprintf("b%d", i)}), fmt.Sprintf(`{"k": %d}`, i))
			if err != nil {
				return nil, err
			}
			k, _ := r.RowsAffected()
			n += k
		}
		return n, nil
	})
	check("query: a row by key, every type", func() (interface{}, error) {
		return collect(db.Query("select * from go_items where id = $1", 7))
	})
	check("query: a row by key, no parameters", func() (interface{}, error) {
		return collect(db.Query("select * from go_items where id = 8"))
	})
	check("query: column types", func() (interface{}, error) {
		rows, err := db.Query("select * from go_items where id = $1", 7)
		types, err := columns(rows, err)
		if err != nil {
			return nil, err
		}
		rows.Close()
		out := []interface{}{}
		for _, t := range types {
			out = append(out, []interface{}{t.Name(), t.DatabaseTypeName(), t.ScanType().String()})
		}
		return out, nil
	})
	check("query: = ANY of an array parameter", func() (interface{}, error) {
		return collect(db.Query("select id, name from go_items where id = any($1) order by id",
			pq.Array([]int64{2, 11, 23, 38})))
	})
	check("query: scatter ORDER BY LIMIT", func() (interface{}, error) {
		return collect(db.Query("select id, price from go_items where price > $1 order by price desc, id limit 5", "10"))
	})
	check("query: aggregates", func() (interface{}, error) {
		return collect(db.Query("select count(*), sum(price), avg(f), min(day), max(at) from go_items"))
	})
	check("query: GROUP BY", func() (interface{}, error) {
		return collect(db.Query("select ok, count(*), sum(n) from go_items group by ok order by ok"))
	})
	check("query: a text array by pq.Array", func() (interface{}, error) {
		var tags []string
		err := db.QueryRow("select tags from go_items where id = $1", 9).Scan(pq.Array(&tags))
		return tags, err
	})
	check("query: NULL into sql.NullString", func() (interface{}, error) {
		var s sql.NullString
		err := db.QueryRow("select null::text where $1::int > 0", 1).Scan(&s)
		return []interface{}{s.Valid, s.String}, err
	})
	check("query: no rows", func() (interface{}, error) {
		var id int
		err := db.QueryRow("select id from go_items where id = $1", 999).Scan(&id)
		if err == sql.ErrNoRows {
			return "no rows", nil
		}
		return id, err
	})
}

// A prepared statement run once per argument list: each run's rows (query)
// or rows affected.
func runs(st *sql.Stmt, err error, query bool, args ...[]interface{}) (interface{}, error) {
	if err != nil {
		return nil, err
	}
	defer st.Close()
	out := []interface{}{}
	for _, a := range args {
		var v interface{}
		if query {
			v, err = collect(st.Query(a...))
		} else {
			v, err = exec(st.Exec(a...))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// One argument list per value.
func each(vals ...interface{}) [][]interface{} {
	out := [][]interface{}{}
	for _, v := range vals {
		out = append(out, []interface{}{v})
	}
	return out
}

// body in a transaction begun with opts; committed when commit is true and
// body succeeded, else rolled back.
func inTx(db *sql.DB, opts *sql.TxOptions, commit bool, body func(tx *sql.Tx) (interface{}, error)) (interface{}, error) {
	tx, err := db.BeginTx(context.Background(), opts)
	if err != nil {
		return nil, err
	}
	v, err := body(tx)
	if err != nil || !commit {
		tx.Rollback()
		return v, err
	}
	return v, tx.Commit()
}

// db.Prepare: a named statement, described once and reused; lib/pq asks
// for int2/4/8, bytea and uuid results in binary, the rest in text.
func prepared(db *sql.DB) {
	check("prepare: mixed text and binary results, reused", func() (interface{}, error) {
		st, err := db.Prepare("select id, name, raw, n, u, price, at from go_items where id = $1")
		return runs(st, err, true, each(1, 4, 9, 16, 25, 36, 3, 12)...)
	})
	check("prepare: binary results only", func() (interface{}, error) {
		st, err := db.Prepare("select id, n, raw, u from go_items where id between $1 and $2 order by id")
		return runs(st, err, true, []interface{}{5, 9})
	})
	check("prepare: insert reused, rows affected", func() (interface{}, error) {
		st, err := db.Prepare("insert into go_items (id, name, n) values ($1, $2, $3)")
		args := [][]interface{}{}
		for i := 101; i <= 106; i++ {
			args = append(args, []interface{}{i, fmt.Sprintf("p%d", i), i})
		}
		return runs(st, err, false, args...)
	})
	check("prepare: the inserted rows", func() (interface{}, error) {
		return collect(db.Query("select id, name, n from go_items where id > 100 order by id"))
	})
	check("prepare: update with RETURNING", func() (interface{}, error) {
		st, err := db.Prepare("update go_items set n = n + 1 where id = $1 returning id, n, raw")
		return runs(st, err, true, each(102)...)
	})
	check("prepare: multi-row INSERT over several shards, RETURNING in VALUES order", func() (interface{}, error) {
		st, err := db.Prepare("insert into go_items (id, name) values ($1, 'r'), ($2, 'r'), ($3, 'r'), ($4, 'r') returning id, name")
		return runs(st, err, true, []interface{}{503, 501, 508, 502}, []interface{}{513, 511, 518, 512})
	})
	check("prepare: statement error", func() (interface{}, error) {
		_, err := db.Prepare("select nosuch from go_items where id = $1")
		return nil, err
	})
}

func transactions(db *sql.DB) {
	check("tx: commit over several shards", func() (interface{}, error) {
		_, err := inTx(db, nil, true, func(tx *sql.Tx) (interface{}, error) {
			st, err := tx.Prepare("update go_items set price = price + 100 where id = $1")
			return runs(st, err, false, each(1, 2, 3, 4)...)
		})
		if err != nil {
			return nil, err
		}
		return collect(db.Query("select id, price from go_items where id <= 4 order by id"))
	})
	check("tx: rollback", func() (interface{}, error) {
		_, err := inTx(db, nil, false, func(tx *sql.Tx) (interface{}, error) {
			return exec(tx.Exec("delete from go_items where id > $1", 20))
		})
		if err != nil {
			return nil, err
		}
		return collect(db.Query("select count(*) from go_items"))
	})
	check("tx: prepared statement in a transaction", func() (interface{}, error) {
		return inTx(db, nil, false, func(tx *sql.Tx) (interface{}, error) {
			st, err := tx.Prepare("update go_items set name = $1 where id = $2")
			args := [][]interface{}{}
			for _, id := range []int{5, 6, 7, 8, 9, 10} {
				args = append(args, []interface{}{"tx", id})
			}
			counts, err := runs(st, err, false, args...)
			if err != nil {
				return nil, err
			}
			v, err := collect(tx.Query("select count(*) from go_items where name = 'tx'"))
			return []interface{}{counts, v}, err
		})
	})
	check("tx: an error aborts the transaction (25P02)", func() (interface{}, error) {
		return inTx(db, nil, false, func(tx *sql.Tx) (interface{}, error) {
			tx.Exec("update go_items set name = 'x' where id = 1")
			if _, err := tx.Exec("select 1/0"); err == nil {
				return "no error", nil
			}
			return exec(tx.Exec("select 1"))
		})
	})
	check("tx: read only refuses a write", func() (interface{}, error) {
		return inTx(db, &sql.TxOptions{ReadOnly: true}, false, func(tx *sql.Tx) (interface{}, error) {
			if _, err := collect(tx.Query("select count(*) from go_items where id in (1, 2, 3)")); err != nil {
				return nil, err
			}
			return exec(tx.Exec("update go_items set name = 'ro' where id = 2"))
		})
	})
	check("tx: serializable", func() (interface{}, error) {
		return inTx(db, &sql.TxOptions{Isolation: sql.LevelSerializable}, true, func(tx *sql.Tx) (interface{}, error) {
			return collect(tx.Query("select count(*) from go_items where id < 10"))
		})
	})
	check("tx: COPY FROM STDIN by pq.CopyIn", func() (interface{}, error) {
		_, err := inTx(db, nil, true, func(tx *sql.Tx) (interface{}, error) {
			st, err := tx.Prepare(pq.CopyIn("go_items", "id", "name", "n"))
			args := [][]interface{}{}
			for i := 201; i <= 210; i++ {
				args = append(args, []interface{}{i, fmt.Sprintf("c%d", i), i * 2})
			}
			return runs(st, err, false, append(args, []interface{}{})...)
		})
		if err != nil {
			return nil, err
		}
		return collect(db.Query("select count(*), sum(n) from go_items where id > 200"))
	})
}

func failures(db *sql.DB) {
	check("error: unique violation", func() (interface{}, error) {
		return exec(db.Exec("insert into go_items (id, name) values ($1, $2)", 5, "dup"))
	})
	check("error: not-null violation", func() (interface{}, error) {
		return exec(db.Exec("insert into go_items (id, name) values ($1, $2)", 300, nil))
	})
	check("error: undefined table", func() (interface{}, error) {
		return collect(db.Query("select * from nosuch"))
	})
	check("error: division by zero", func() (interface{}, error) {
		return collect(db.Query("select 1/$1::int", 0))
	})
	check("error: syntax error", func() (interface{}, error) {
		return exec(db.Exec("selec 1"))
	})
	check("error: a context deadline cancels the query", func() (interface{}, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		return collect(db.QueryContext(ctx, "select count(pg_sleep(0.2)) from go_items"))
	})
	check("error: LISTEN", func() (interface{}, error) {
		return exec(db.Exec("listen go_channel"))
	})
	check("error: the session goes on", func() (interface{}, error) {
		return collect(db.Query("select 1 as one"))
	})
}

// binary_parameters=yes: []byte parameters go in binary, every statement
// with parameters as Parse/Bind/Execute in one round trip.
func binaryParameters(dsn string) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		check("binary_parameters: open", func() (interface{}, error) { return nil, err })
		return
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	check("binary_parameters: bytea parameter", func() (interface{}, error) {
		if _, err := db.Exec("insert into go_items (id, name, raw) values ($1, $2, $3)", 400, "bin",
			[]byte{0, 1, 2, 0xfe, 0xff}); err != nil {
			return nil, err
		}
		return collect(db.Query("select id, raw from go_items where raw = $1", []byte{0, 1, 2, 0xfe, 0xff}))
	})
	check("binary_parameters: a row by key, every type", func() (interface{}, error) {
		return collect(db.Query("select * from go_items where id = $1", 11))
	})
	check("binary_parameters: prepared, reused", func() (interface{}, error) {
		st, err := db.Prepare("select id, raw, price from go_items where id = $1")
		return runs(st, err, true, each(13, 400, 17)...)
	})
	check("binary_parameters: scatter aggregate", func() (interface{}, error) {
		return collect(db.Query("select count(*), max(n) from go_items where id > $1", 30))
	})
}
