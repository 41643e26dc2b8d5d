// Reads a DoLake warehouse with engines DoSQL did not write: DuckDB SQL
// over the Parquet files, and icebird over the Iceberg metadata.
//   node read.mjs '{"duckdb": ["select ...", ...], "iceberg": ["file:///.../ns/table", ...]}'
//   with "mirror": [{"table": "file:///...", "key": "id", "select": "..."}]: the table's rows by
//   DuckDB SQL over its data files, with its equality delete files applied by sequence number
//   with "files": ["file:///.../ns/table", ...]: the paths of the data files of each table's current snapshot
//   (and "deletes": [...] those of its equality delete files)
// prints {"duckdb": [[rows...], ...], "iceberg": [{"rows": [...], "metadata": {...}}, ...], "mirror": [[rows...], ...],
// "files": [[paths...], ...], "deletes": [[paths...], ...]}
// with every value as JSON (64-bit integers as strings).
import { readFile } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { icebergManifests, icebergMetadata, icebergRead } from 'icebird';

// with "s3": {"bucket": B, "dir": D}: the objects of bucket B, downloaded
// to directory D, are read there (s3://B/key is D/key; icebird asks for
// them as https://B.s3.amazonaws.com/key)
const spec = JSON.parse(process.argv[2]);
const s3Prefixes = spec.s3 ? [`s3://${spec.s3.bucket}/`, `https://${spec.s3.bucket}.s3.amazonaws.com/`] : [];
const localOf = (u) => {
  for (const p of s3Prefixes) if (u.startsWith(p)) return `${spec.s3.dir}/${u.slice(p.length)}`;
  return u.replace(/^file:\/\//, '');
};

// icebird and hyparquet read through fetch(); node's fetch has no file://,
// so file URLs (and the downloaded S3 objects) are answered from the
// filesystem, with Range requests.
const realFetch = globalThis.fetch;
globalThis.fetch = async (url, init) => {
  let u = String(url);
  if (s3Prefixes.some(p => u.startsWith(p))) u = 'file://' + localOf(u);
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

const out = { duckdb: [], iceberg: [], mirror: [], files: [], deletes: [] };
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
// Iceberg's rule: an equality delete removes the rows of data files with a
// smaller sequence number whose key is equal.
for (const [i, m] of (spec.mirror ?? []).entries()) {
  const metadata = await icebergMetadata({ tableUrl: m.table });
  const entries = (await icebergManifests(metadata)).flatMap(x => x.entries).filter(e => e.status !== 2);
  const path = (e) => localOf(e.data_file.file_path);
  const list = (c) => entries.filter(e => Number(e.data_file.content) === c)
    .map(e => `('${path(e)}', ${e.sequence_number})`);
  const data = list(0), dels = list(2);
  await con.run(`create table files${i} (path varchar, seq bigint)`);
  if (data.length + dels.length) await con.run(`insert into files${i} values ${[...data, ...dels].join(', ')}`);
  const names = (c) => '[' + entries.filter(e => Number(e.data_file.content) === c).map(e => `'${path(e)}'`).join(', ') + ']';
  let q = `select ${m.select} as r from read_parquet(${names(0)}, filename = true, union_by_name = true) d`
    + ` join files${i} f on d.filename = f.path`;
  if (dels.length) {
    q += ` where not exists (select 1 from read_parquet(${names(2)}, filename = true) x join files${i} g`
      + ` on x.filename = g.path where x.${m.key} = d.${m.key} and g.seq > f.seq)`;
  }
  q += ` order by d.${m.key}`;
  out.mirror.push(data.length ? (await con.runAndReadAll(q)).getRowObjectsJson() : []);
}
for (const [key, content] of [['files', 0], ['deletes', 2]]) {
  for (const tableUrl of spec[key] ?? []) {
    const metadata = await icebergMetadata({ tableUrl });
    const entries = (await icebergManifests(metadata)).flatMap(x => x.entries).filter(e => e.status !== 2);
    out[key].push(entries.filter(e => Number(e.data_file.content) === content)
      .map(e => localOf(e.data_file.file_path)).sort());
  }
}
process.stdout.write(json(out) + '\n');
