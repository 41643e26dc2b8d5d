// node-postgres (pg) and postgres.js against a PostgreSQL-protocol server.
//
// Usage: node clients.js HOST PORT USER PASSWORD DATABASE
//
// Runs named checks and prints one JSON object per line:
//   {"name": "<check>", "value": <JSON value>}
// or, when the check threw, {"name": "<check>", "error": "<SQLSTATE or message>"}.
// t/110_node_clients.pl runs it against PostgreSQL 15 and against the
// router and compares the two, check by check.
'use strict';
const { Client } = require('pg');
const postgres = require('postgres');

const [host, port, user, password, database] = process.argv.slice(2);
const conn = { host, port: Number(port), user, password, database };

function emit(name, r) { process.stdout.write(JSON.stringify(Object.assign({ name }, r)) + '\n'); }

async function check(name, fn) {
	try {
		emit(name, { value: await fn() });
	} catch (e) {
		emit(name, { error: e.code || String(e.message) });
	}
}

// Values as JSON can carry them (dates as ISO text, buffers as hex).
function plain(v) {
	if (v instanceof Date) return v.toISOString();
	if (Buffer.isBuffer(v)) return '\\x' + v.toString('hex');
	if (typeof v === 'bigint') return v.toString();
	if (Array.isArray(v)) return v.map(plain);
	if (v && typeof v === 'object') {
		const o = {};
		for (const k of Object.keys(v).sort()) o[k] = plain(v[k]);
		return o;
	}
	return v;
}
const rows = (r) => plain(r.rows !== undefined ? r.rows : Array.from(r));

async function nodePg() {
	const c = new Client(conn);
	await c.connect();
	await c.query('drop table if exists js_items');
	await c.query(`create table js_items (id int primary key, name text not null, price numeric(10,2),
		ok bool, at timestamptz, day date, doc jsonb, raw bytea, tags text[], n bigint, f float8)`);
	await check('pg: parameterised inserts', async () => {
		let n = 0;
		for (let i = 1; i <= 40; i++) {
			const r = await c.query(`insert into js_items (id, name, price, ok, at, day, doc, raw, tags, n, f)
				values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
				[i, 'n' + i, (i * 1.25).toFixed(2), i % 3 === 0, new Date(Date.UTC(2024, 0, i, 12, 30)),
				 '2024-03-' + String(i % 28 + 1).padStart(2, '0'), { k: i, s: 'v' + i }, Buffer.from([i, 0, 255]),
				 ['a', 'b' + i], String(i) + '000000000000', i / 8]);
			n += r.rowCount;
		}
		return n;
	});
	await check('pg: a row by key, every type', async () => rows(await c.query('select * from js_items where id = $1', [7])));
	await check('pg: result column types', async () =>
		(await c.query('select * from js_items where id = $1', [7])).fields.map(f => [f.name, f.dataTypeID]));
	await check('pg: NULL parameter', async () =>
		rows(await c.query('select count(*) from js_items where ($1::text is null or name = $1)', [null])));
	await check('pg: IN over several shards', async () =>
		rows(await c.query('select id, name from js_items where id = any($1::int[]) order by id', [[2, 11, 23, 38]])));
	await check('pg: = ANY of a text[] parameter', async () =>
		rows(await c.query('select id from js_items where name = any($1) order by id', [['n3', 'n30', 'nope']])));
	await check('pg: <> ALL of an int[] parameter', async () =>
		rows(await c.query('select count(*) from js_items where id <> all($1)', [[1, 2, 3]])));
	await check('pg: = ANY of a NULL array is NULL', async () =>
		rows(await c.query('select 1 = any($1::int[]) as r', [null])));
	await check('pg: = ANY of an array column', async () =>
		rows(await c.query(`select id from js_items where 'b7' = any(tags) or 'b9' = any(tags) order by id`)));
	await check('pg: scatter ORDER BY LIMIT', async () =>
		rows(await c.query('select id, price from js_items where price > $1 order by price desc, id limit 5', ['10'])));
	await check('pg: aggregates', async () =>
		rows(await c.query('select count(*), sum(price), avg(f), min(day), max(at) from js_items')));
	await check('pg: GROUP BY', async () =>
		rows(await c.query('select ok, count(*), sum(n) from js_items group by ok order by ok')));
	await check('pg: named statement, first', async () =>
		rows(await c.query({ name: 'by_id', text: 'select name, tags from js_items where id = $1', values: [3] })));
	await check('pg: named statement, again', async () =>
		rows(await c.query({ name: 'by_id', text: 'select name, tags from js_items where id = $1', values: [31] })));
	await check('pg: rowMode array', async () =>
		(await c.query({ text: 'select id, ok from js_items where id = $1', values: [9], rowMode: 'array' })).rows);
	await check('pg: transaction over several shards commits', async () => {
		await c.query('begin');
		await c.query('update js_items set price = price + 100 where id = $1', [1]);
		await c.query('update js_items set price = price + 100 where id = $1', [2]);
		await c.query('update js_items set price = price + 100 where id = $1', [3]);
		await c.query('commit');
		return rows(await c.query('select id, price from js_items where id <= 3 order by id'));
	});
	await check('pg: rollback leaves nothing', async () => {
		await c.query('begin');
		await c.query('delete from js_items where id > $1', [30]);
		await c.query('rollback');
		return rows(await c.query('select count(*) from js_items'));
	});
	await check('pg: unique violation', async () => c.query('insert into js_items (id, name) values ($1, $2)', [5, 'dup']));
	await check('pg: not-null violation', async () => c.query('insert into js_items (id, name) values ($1, $2)', [99, null]));
	await check('pg: syntax error', async () => c.query('selec 1'));
	await check('pg: after an error the session goes on', async () => rows(await c.query('select 1 as one')));
	await check('pg: error in a transaction, then 25P02', async () => {
		await c.query('begin');
		try { await c.query('select 1/0'); } catch (e) { /* 22012 */ }
		try { await c.query('select 1'); } catch (e) { await c.query('rollback'); return e.code; }
		return 'no error';
	});
	await check('pg: multi-row insert over shards with RETURNING on one', async () =>
		rows(await c.query(`insert into js_items (id, name) values ($1, 'x') returning id, name`, [41])));
	await check('pg: update by key, rowCount', async () =>
		(await c.query('update js_items set name = $1 where id = $2', ['renamed', 41])).rowCount);
	await check('pg: delete without key, rowCount', async () =>
		(await c.query('delete from js_items where id > $1', [35])).rowCount);
	await c.end();
}

async function postgresJs() {
	const sql = postgres(Object.assign({ onnotice: () => {} }, conn));
	await check('postgres.js: tagged query', async () =>
		rows(await sql`select id, name, day from js_items where id = ${12}`));
	await check('postgres.js: dynamic IN', async () =>
		rows(await sql`select id from js_items where id in ${sql([4, 5, 19, 33])} order by id`));
	await check('postgres.js: insert helper', async () => {
		const r = await sql`insert into js_items ${sql({ id: 50, name: 'helper', n: 7n, tags: ['p', 'q'] })} returning id, n, tags`;
		return rows(r);
	});
	await check('postgres.js: prepared statement reused', async () => {
		const out = [];
		for (const id of [6, 16, 26]) out.push(rows(await sql`select name from js_items where id = ${id}`)[0].name);
		return out;
	});
	await check('postgres.js: begin commits', async () => {
		await sql.begin(async (tx) => {
			await tx`update js_items set name = 'tx' where id = ${8}`;
			await tx`update js_items set name = 'tx' where id = ${18}`;
		});
		return rows(await sql`select id from js_items where name = 'tx' order by id`);
	});
	await check('postgres.js: begin rolls back on throw', async () => {
		try {
			await sql.begin(async (tx) => {
				await tx`update js_items set name = 'gone' where id = ${9}`;
				throw new Error('abort');
			});
		} catch (e) { /* abort */ }
		return rows(await sql`select name from js_items where id = ${9}`);
	});
	await check('postgres.js: unsafe', async () => rows(await sql.unsafe('select count(*)::int as c from js_items')));
	await check('postgres.js: error code', async () => sql`select nosuch from js_items`);
	await sql.end();
}

(async () => {
	await nodePg();
	await postgresJs();
})().catch((e) => { console.error(e); process.exit(1); });
