// Compiled (not run) by got-types.test.js: the declarations accept this and reject the @ts-expect-error lines.
import { Dataframe, pccSet, primaryKey, dimension, serve, GotError } from '../..';
const Counter = pccSet('Counter', { name: primaryKey('str'), count: 'int', tags: dimension('list') });
const df = new Dataframe('GotCounter', [Counter], { mergeFn: (o, y, t) => t });
df.addOne(Counter, { name: 'countDocument', count: 0 });
const c = df.readOne(Counter, 'countDocument');
if (c) { const n: string = c.name; const k = c.count; }
// @ts-expect-error count must be a number
df.addOne(Counter, { name: 'x', count: 'no' });
// @ts-expect-error the key is required
df.addOne(Counter, { count: 1 });
const s = serve({ port: 0 });
const remote = new Dataframe('GotCounter', [Counter], { remote: s.url });
remote.pullAwait({ timeoutMs: 10 }).then((r) => r.status === 408);
const e = new GotError('x'); e.code;
