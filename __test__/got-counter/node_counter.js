'use strict';
// One Node process of the cross-language counter: `node node_counter.js PORT APP N` adds N to
// the counter, one pull/increment/commit/push at a time, and prints how long it took.
const { Dataframe, pccSet, primaryKey } = require('../..');

const [port, app, n] = process.argv.slice(2);
const Counter = pccSet('Counter', { name: primaryKey('str'), count: 'int' });
const add = (original, yours, theirs) => ({ ...theirs, count: theirs.count + yours.count - (original ? original.count : 0) });
const df = new Dataframe(app, [Counter], { remote: `got://127.0.0.1:${port}`, mergeFn: add });
const t0 = process.hrtime.bigint();
for (let i = 0; i < Number(n); i++) {
  df.pull();
  const c = df.readOne(Counter, 'countDocument');
  df.updateOne(Counter, 'countDocument', { count: c.count + 1 });
  df.commit();
  df.push();
}
process.stdout.write(JSON.stringify({ ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
