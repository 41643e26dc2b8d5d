// An S3-compatible server for the S3 lake test: s3rver on a loopback port,
// its objects under a directory, with one bucket.
//   node s3rver.mjs PORT DIRECTORY BUCKET [conditional]
// Its key pair is s3rver's own (S3RVER / S3RVER); requests are checked
// against their AWS Signature Version 4.  s3rver ignores If-None-Match on
// PUT; with "conditional" this server honours it as AWS S3 does (412
// Precondition Failed when the object exists), the conditional PUTs of one
// key taking turns so that the check and the write are one step.
import S3rver from 's3rver';

const [port, directory, bucket, mode] = process.argv.slice(2);
const server = new S3rver({
  port: Number(port),
  address: '127.0.0.1',
  directory,
  silent: true,
  configureBuckets: [{ name: bucket }],
});

if (mode === 'conditional') {
  const turns = new Map();
  // first of the middlewares: before s3rver's router writes the object
  server.middleware.unshift(async (ctx, next) => {
    if (ctx.method !== 'PUT' || ctx.get('if-none-match') !== '*') return next();
    const [, b, ...rest] = ctx.path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const previous = turns.get(ctx.path) ?? Promise.resolve();
    let done;
    const mine = previous.then(() => new Promise((resolve) => { done = resolve; }));
    turns.set(ctx.path, mine);
    await previous;
    try {
      if (await server.store.existsObject(decodeURIComponent(b), key)) {
        ctx.status = 412;
        ctx.type = 'application/xml';
        ctx.body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>'
          + '<Message>At least one of the pre-conditions you specified did not hold</Message></Error>';
        return;
      }
      await next();
    } finally {
      done();
      if (turns.get(ctx.path) === mine) turns.delete(ctx.path);
    }
  });
}

await server.run();
process.stdout.write(`s3rver listening on 127.0.0.1:${port}${mode ? ` (${mode})` : ''}\n`);
const stop = async () => { await server.close(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
