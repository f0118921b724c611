'use strict';
// An independent client written in Python with cbor2 (see __test__/python/) against the server.
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Dataframe, pccSet, primaryKey, serve } = require('..');

const probe = spawnSync('python3', ['-c', 'import cbor2'], { encoding: 'utf8' });
const reason =
  probe.error ? 'python3 is not installed' : probe.status !== 0 ? 'the cbor2 module is missing (pip install cbor2)' : null;
if (reason) {
  console.warn(`SKIPPED the Python raw-client test: ${reason}.`);
}
const maybe = reason ? test.skip : test;

const Counter = pccSet('Counter', { name: primaryKey('str'), count: 'int' });

maybe(`a Python cbor2 client fetches, acks and pushes${reason ? ` (skipped: ${reason})` : ''}`, () => {
  const server = serve();
  try {
    const app = `Py-${process.pid}-${Date.now()}`;
    const df = new Dataframe(app, [Counter]);
    df.addOne(Counter, { name: 'countDocument', count: 41 });
    df.commit();
    df.push();
    const r = spawnSync('python3', [path.join(__dirname, 'python', 'got_raw_client.py'), String(server.port), app], {
      encoding: 'utf8',
      timeout: 20000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      fetch_status: 200,
      fetched_event: 0,
      fetched_count: 41,
      ack_status: 200,
      push_status: 200,
      push_head_is_mine: true,
      refetch_status: 200,
      refetch_data: {},
      refetch_end_is_mine: true,
      ack2_status: 200,
      bad_push_status: 410,
      closed_after_error: true,
    });
    // What Python pushed is what a JS dataframe now reads.
    df.pull();
    expect(df.readAll(Counter)).toEqual([
      { name: 'countDocument', count: 42 },
      { name: 'python', count: 7 },
    ]);
  } finally {
    server.close();
  }
});
