// An S3-compatible server for the S3 lake test: s3rver on a loopback port,
// its objects under a directory, with one bucket.
//   node s3rver.mjs PORT DIRECTORY BUCKET
// Its key pair is s3rver's own (S3RVER / S3RVER); requests are checked
// against their AWS Signature Version 4.
import S3rver from 's3rver';

const [port, directory, bucket] = process.argv.slice(2);
const server = new S3rver({
  port: Number(port),
  address: '127.0.0.1',
  directory,
  silent: true,
  configureBuckets: [{ name: bucket }],
});
await server.run();
process.stdout.write(`s3rver listening on 127.0.0.1:${port}\n`);
const stop = async () => { await server.close(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
