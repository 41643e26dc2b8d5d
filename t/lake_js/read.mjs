// Reads a DoLake warehouse with engines DoSQL did not write: DuckDB SQL
// over the Parquet files, and icebird over the Iceberg metadata.
//   node read.mjs '{"duckdb": ["select ...", ...], "iceberg": ["file:///.../ns/table", ...]}'
// prints {"duckdb": [[rows...], ...], "iceberg": [{"rows": [...], "metadata": {...}}, ...]}
// with every value as JSON (64-bit integers as strings).
import { readFile } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { icebergMetadata, icebergRead } from 'icebird';

// icebird and hyparquet read through fetch(); node's fetch has no file://,
// so file URLs are answered from the filesystem, with Range requests.
const realFetch = globalThis.fetch;
globalThis.fetch = async (url, init) => {
  const u = String(url);
  if (!u.startsWith('file://')) return realFetch(url, init);
  let data;
  try {
    data = await readFile(decodeURIComponent(u.slice(7)));
  } catch {
    return new Response('not found', { status: 404 });
  }
  const range = init?.headers && (init.headers.Range || init.headers.range ||
    (typeof init.headers.get === 'function' && init.headers.get('range')));
  if (range) {
    const m = /bytes=(\d+)-(\d*)/.exec(range);
    const start = Number(m[1]);
    const end = m[2] === '' ? data.length - 1 : Number(m[2]);
    return new Response(data.subarray(start, end + 1), { status: 206 });
  }
  return new Response(data, { status: 200, headers: { 'content-length': String(data.length) } });
};

const json = (v) => JSON.stringify(v, (k, x) => {
  if (typeof x === 'bigint') return x.toString();
  if (x instanceof Uint8Array) return Buffer.from(x).toString('hex');
  if (x instanceof Date) return x.toISOString();
  return x;
});

const spec = JSON.parse(process.argv[2]);
const out = { duckdb: [], iceberg: [] };
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run("set TimeZone = 'UTC'");
for (const q of spec.duckdb ?? []) {
  const r = await con.runAndReadAll(q);
  out.duckdb.push(r.getRowObjectsJson());
}
for (const tableUrl of spec.iceberg ?? []) {
  const metadata = await icebergMetadata({ tableUrl });
  const rows = await icebergRead({ tableUrl, metadata });
  out.iceberg.push({ rows, metadata });
}
process.stdout.write(json(out) + '\n');
