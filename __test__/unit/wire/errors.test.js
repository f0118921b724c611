'use strict';
// Errors cross threads as the same class, with their fields, message, stack and cause.
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { Worker } = require('node:worker_threads');
const { encodeError, decodeError } = require('../../../lib/wire/errors');

const roundTrip = (e) => decodeError(structuredClone(encodeError(e)));

test('built-in classes come back as themselves', () => {
  for (const C of [TypeError, RangeError, SyntaxError]) {
    const e = roundTrip(new C('bad'));
    expect(e).toBeInstanceOf(C);
    expect(e.message).toBe('bad');
  }
});

test('own fields, stack and cause survive; the constructor is not run again', () => {
  let built = 0;
  class Counted extends Error {
    constructor(m) {
      super(m);
      built += 1;
    }
  }
  module.exports.Counted = Counted; // found by this thread in a loaded module's exports
  const err = Object.assign(new Counted('nope', { cause: 'x' }), { status: 404, expose: true });
  err.cause = 'because';
  const back = roundTrip(err);
  expect(back).toBeInstanceOf(Counted);
  expect(built).toBe(1);
  expect(back).toMatchObject({ status: 404, expose: true, message: 'nope', cause: 'because' });
  expect(back.stack).toBe(err.stack);
  expect(Object.keys(back)).toEqual(['status', 'expose']);
});

test("a class another thread threw is revived as the receiving thread's copy of it", async () => {
  // Both sides in plain Node threads (Jest keeps its own module registry, not require.cache).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fx-wire-'));
  const file = path.join(dir, 'errors.js');
  fs.writeFileSync(file, "class NotFound extends Error { constructor(w) { super(w + ' not found'); this.status = 404; } }\nmodule.exports = { NotFound };\n");
  const wire = require.resolve('../../../lib/wire/errors');
  const inWorker = (code, data) =>
    new Promise((resolve, reject) => {
      const w = new Worker(
        `const { parentPort, workerData } = require('node:worker_threads');
         const { NotFound } = require(${JSON.stringify(file)});
         const { encodeError, decodeError } = require(${JSON.stringify(wire)});
         ${code}`,
        { eval: true, workerData: data }
      );
      w.once('message', resolve);
      w.once('error', reject);
    });
  const encoded = await inWorker("parentPort.postMessage(encodeError(new NotFound('pet')));");
  const seen = await inWorker(
    "const e = decodeError(workerData); parentPort.postMessage({ same: e instanceof NotFound, status: e.status, message: e.message });",
    encoded
  );
  expect(seen).toEqual({ same: true, status: 404, message: 'pet not found' });
});

test('a class this thread does not have comes back as an Error', () => {
  const enc = encodeError(new (class Gone extends Error {})('x'));
  enc.cls = { name: 'Gone', source: 'class Gone extends Error { /* elsewhere */ }' };
  const e = decodeError(enc);
  expect(e).toBeInstanceOf(Error);
  expect(e.message).toBe('x');
});

test('thrown values that are not errors pass through', () => {
  expect(decodeError(structuredClone(encodeError('route')))).toBe('route');
  expect(decodeError(structuredClone(encodeError(undefined)))).toBe(undefined);
});
