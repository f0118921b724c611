'use strict';
// Load with faults against __test__/apps/faults.js: clients that increment the worker-hosted
// counter and call a CPU route, while a killer terminates workers through the app. Shared by
// __test__/faults.test.js (short, in CI) and scripts/soak.js (long).
const { work } = require('../apps/faults');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @typedef {object} Tally
 * @property {number} requests answered or not
 * @property {Record<string, number>} statuses HTTP status -> count ('hang': no answer in time, 'error': connection failed)
 * @property {number[]} incOk counts the counter answered with 200, in arrival order
 * @property {number} incFailed /inc answered with something else than 200
 * @property {number} cpuWrong 200 answers of the CPU route with a wrong body
 * @property {Array<{ at: number, thread: number, wasHost: boolean }>} kills
 */

/** @returns {Tally} */
function newTally() {
  return { requests: 0, statuses: {}, incOk: [], incFailed: 0, cpuWrong: 0, kills: [] };
}

/**
 * Drives load and faults for `ms` milliseconds.
 * @param {object} o
 * @param {string} o.url the app
 * @param {number} o.ms how long
 * @param {number} [o.clients] concurrent clients
 * @param {[number, number]} [o.killEveryMs] a kill at a random delay in this range
 * @param {number} [o.timeoutMs] a request not answered by then is a hang
 * @param {Tally} [o.tally] add to this tally (a soak drives several windows into one)
 * @returns {Promise<Tally>}
 */
async function drive(o) {
  const { url, ms, clients = 16, killEveryMs = [250, 600], timeoutMs = 15000 } = o;
  const end = Date.now() + ms;
  /** @type {Tally} */
  const t = o.tally || newTally();
  const note = (k) => (t.statuses[k] = (t.statuses[k] || 0) + 1);

  async function client(id) {
    let n = id * 1e6;
    while (Date.now() < end) {
      const inc = Math.random() < 0.5;
      // Half the increments are made after an await, in a later turn than the run's start.
      const path = inc ? (Math.random() < 0.5 ? '/inc' : '/ainc') : `/cpu/${n++}`;
      t.requests++;
      let status;
      let body;
      try {
        const r = await fetch(url + path, { signal: AbortSignal.timeout(timeoutMs) });
        status = r.status;
        body = await r.text();
      } catch (err) {
        note(err.name === 'TimeoutError' ? 'hang' : 'error');
        if (inc) t.incFailed++;
        continue;
      }
      note(String(status));
      if (inc) {
        if (status !== 200) {
          t.incFailed++;
          continue;
        }
        t.incOk.push(JSON.parse(body).count);
      } else if (status === 200 && JSON.parse(body).hash !== work(path.slice(5))) t.cpuWrong++;
    }
  }

  async function killer() {
    let k = 0;
    for (;;) {
      const [a, b] = killEveryMs;
      await sleep(a + Math.random() * (b - a));
      if (Date.now() >= end) return;
      const ws = await fetch(url + '/__workers').then((r) => r.json());
      // Every other kill hits the counter's host: its context must come back from its commit.
      const host = ws.find((w) => w.groups.length > 0);
      const target = k++ % 2 === 0 && host ? host : ws[Math.floor(Math.random() * ws.length)];
      const r = await fetch(`${url}/__kill?thread=${target.threadId}`);
      if (r.status !== 200) throw new Error(`kill failed: ${r.status} ${await r.text()}`);
      t.kills.push({ at: Date.now(), thread: target.threadId, wasHost: target.groups.length > 0 });
    }
  }

  await Promise.all([...Array.from({ length: clients }, (_, i) => client(i)), killer()]);
  return t;
}

/**
 * What a kill may cost the counter, as a list of violations (empty: within the bound).
 * A worker dies between two instructions: the writes of its current turn that were not yet
 * committed are lost, and their requests are answered 500. So: no count answered 200 is ever
 * answered again (an answered write is never lost), the counter ends at or above every answered
 * count, and the increments that landed without a 200 (committed before the kill, answered 500)
 * are at most the /inc requests that failed.
 * @param {Tally} t
 * @param {number} final the counter's value after the load
 */
function counterViolations(t, final) {
  const out = [];
  const distinct = new Set(t.incOk).size;
  const duplicates = t.incOk.length - distinct;
  if (duplicates) out.push(`${duplicates} counts answered 200 twice: answered writes were lost`);
  const max = t.incOk.reduce((m, c) => Math.max(m, c), 0);
  if (max > final) out.push(`the counter ends at ${final}, below a count already answered (${max})`);
  const unanswered = final - distinct;
  if (unanswered < 0) out.push(`${-unanswered} answered increments are missing from the final count`);
  if (unanswered > t.incFailed) out.push(`${unanswered} increments landed without a 200, but only ${t.incFailed} /inc requests failed`);
  return out;
}

module.exports = { drive, newTally, counterViolations, sleep };
