'use strict';
// node:cluster baseline: `node bench/cluster.js app.js` forks one process per core, each
// requiring the app (which listens on PORT; with PORT=0 the workers share one port). The primary
// prints `listening <port>` once every worker listens, and SIGTERM stops them all.
const cluster = require('node:cluster');
const os = require('node:os');
const path = require('node:path');

const app = path.resolve(process.argv[2] || '');
const n = Number(process.env.BENCH_CLUSTER_WORKERS) ||
  (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);

if (cluster.isPrimary) {
  cluster.setupPrimary({ exec: __filename, args: [app], silent: true });
  let listening = 0;
  let stopping = false;
  for (let i = 0; i < n; i++) {
    const w = cluster.fork();
    w.process.stderr.pipe(process.stderr);
  }
  cluster.on('listening', (w, address) => {
    if (++listening === n) console.log('listening ' + address.port);
  });
  cluster.on('exit', (w, code, signal) => {
    if (!stopping) {
      console.error(`cluster: worker ${w.process.pid} exited (${signal || code})`);
      process.exitCode = 1;
    }
  });
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    setTimeout(() => process.exit(), 2000).unref();
    cluster.disconnect(() => process.exit());
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  require(app);
}
