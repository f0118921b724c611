'use strict';
// Load with faults against __test__/apps/faults/app.js: clients that increment the worker-hosted
// counter, call a CPU route and push to a GoT dataframe through the app; GoT clients that push
// to the same dataframe over the GoT protocol; a staller that blocks a worker, the counter's host
// or the main thread for hundreds of milliseconds; and a killer that terminates workers through
// the app. Shared by __test__/faults.test.js (short, in CI) and scripts/soak.js (long).
const { work, GOT_APP, slotType } = require('../apps/faults/app');

const Slot = slotType();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const between = ([a, b]) => a + Math.random() * (b - a);

/**
 * @typedef {object} SlotTally one GoT object, written by one client, one push at a time
 * @property {Array<{ seq: number, pushes: number }>} acked pushes answered 200 (what the app said it wrote), in order
 * @property {number[]} failed sequence numbers of pushes not answered 200
 * @property {number} seq the last sequence number sent
 */

/**
 * @typedef {object} Tally
 * @property {number} requests answered or not
 * @property {Record<string, number>} statuses HTTP status -> count ('hang': no answer in time, 'error': connection failed)
 * @property {number[]} incOk counts the counter answered with 200, in arrival order
 * @property {number} incFailed /inc answered with something else than 200
 * @property {number} cpuWrong 200 answers of the CPU route with a wrong body
 * @property {Record<string, SlotTally>} got pushes through the app (slot `h<client>`)
 * @property {Record<string, { commits: number, lastSeq: number, pushed: number, errors: string[] }>} remote
 *   pushes over the GoT protocol (slot `r<client>`): commits made, the last one's seq, pushes acknowledged
 * @property {Record<string, Record<string, number>>} stalls kind -> status -> count
 * @property {Array<{ at: number, thread: number, wasHost: boolean }>} kills
 */

/** @returns {Tally} */
function newTally() {
  return { requests: 0, statuses: {}, incOk: [], incFailed: 0, cpuWrong: 0, got: {}, remote: {}, stalls: {}, kills: [] };
}

/**
 * Drives load and faults for `ms` milliseconds.
 * @param {object} o
 * @param {string} o.url the app
 * @param {number} o.ms how long
 * @param {number} [o.clients] concurrent HTTP clients
 * @param {[number, number]} [o.killEveryMs] a kill at a random delay in this range
 * @param {string} [o.gotUrl] the app's GoT server (got://...): remote GoT clients push there
 * @param {number} [o.gotClients] how many remote GoT clients (each with its own connection)
 * @param {[number, number]} [o.stallEveryMs] a stall at a random delay in this range (null: none)
 * @param {[number, number]} [o.stallMs] how long a stall blocks its thread
 * @param {string[]} [o.stallKinds] 'worker' (any worker), 'host' (the counter's host), 'main'
 * @param {number} [o.timeoutMs] a request not answered by then is a hang
 * @param {Tally} [o.tally] add to this tally (a soak drives several windows into one)
 * @returns {Promise<Tally>}
 */
async function drive(o) {
  const { url, ms, clients = 16, killEveryMs = [250, 600], timeoutMs = 15000 } = o;
  const { gotUrl = null, gotClients = 2, stallEveryMs = null, stallMs = [200, 500], stallKinds = ['worker', 'host'] } = o;
  const end = Date.now() + ms;
  /** @type {Tally} */
  const t = o.tally || newTally();
  const note = (k) => (t.statuses[k] = (t.statuses[k] || 0) + 1);

  /** One request: its status and body, or null (hang or connection error, noted). */
  async function request(path) {
    t.requests++;
    try {
      const r = await fetch(url + path, { signal: AbortSignal.timeout(timeoutMs) });
      const body = await r.text();
      note(String(r.status));
      return { status: r.status, body };
    } catch (err) {
      note(err.name === 'TimeoutError' ? 'hang' : 'error');
      return null;
    }
  }

  function counted(r) {
    if (r && r.status === 200) t.incOk.push(JSON.parse(r.body).count);
    else t.incFailed++;
  }

  async function client(id) {
    let n = id * 1e6;
    const slot = `h${id}`;
    const s = (t.got[slot] = t.got[slot] || { acked: [], failed: [], seq: 0 });
    while (Date.now() < end) {
      const p = Math.random();
      if (p < 0.4) {
        // Half the increments are made after an await, in a later turn than the run's start.
        counted(await request(Math.random() < 0.5 ? '/inc' : '/ainc'));
      } else if (p < 0.7) {
        const k = n++;
        const r = await request(`/cpu/${k}`);
        if (r && r.status === 200 && JSON.parse(r.body).hash !== work(k)) t.cpuWrong++;
      } else {
        const seq = ++s.seq;
        const r = await request(`/got/${slot}/${seq}`);
        if (r && r.status === 200) {
          const b = JSON.parse(r.body);
          s.acked.push({ seq: b.seq, pushes: b.pushes });
        } else s.failed.push(seq);
      }
    }
  }

  // A GoT client over the protocol: its own connection, its own slot, a push at a time.
  async function remoteClient(id) {
    const { Dataframe } = require('../..');
    const slot = `r${id}`;
    const s = (t.remote[slot] = t.remote[slot] || { commits: 0, lastSeq: 0, pushed: 0, errors: [] });
    // The same dataframe (and connection) across a soak's windows; not enumerable: not in reports.
    if (!s.df) Object.defineProperty(s, 'df', { value: new Dataframe(GOT_APP, [Slot], { remote: gotUrl }) });
    const df = s.df;
    while (Date.now() < end) {
      const seq = s.lastSeq + 1;
      if (s.commits === 0) df.addOne(Slot, { key: slot, seq, pushes: 1 });
      else df.updateOne(Slot, slot, { seq, pushes: s.commits + 1 });
      df.commit();
      s.commits++;
      s.lastSeq = seq;
      try {
        await df.pushAwait();
        s.pushed = s.commits;
      } catch (err) {
        // Kept: the next push sends this commit too. The end of the run checks it arrived.
        s.errors.push(String(err.message || err));
        await sleep(50);
      }
      await sleep(20);
    }
  }

  async function staller() {
    for (;;) {
      await sleep(between(stallEveryMs));
      if (Date.now() >= end) return;
      const kind = stallKinds[Math.floor(Math.random() * stallKinds.length)];
      const d = Math.round(between(stallMs));
      const path = kind === 'host' ? `/slowinc/${d}` : kind === 'main' ? `/__stallmain/${d}` : `/stall/${d}`;
      const r = await request(path);
      const by = (t.stalls[kind] = t.stalls[kind] || {});
      const st = r ? String(r.status) : 'none';
      by[st] = (by[st] || 0) + 1;
      if (kind === 'host') counted(r);
    }
  }

  async function killer() {
    let k = 0;
    for (;;) {
      await sleep(between(killEveryMs));
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

  const tasks = Array.from({ length: clients }, (_, i) => client(i));
  if (gotUrl) for (let i = 0; i < gotClients; i++) tasks.push(remoteClient(i));
  if (stallEveryMs) tasks.push(staller(), staller());
  tasks.push(killer());
  await Promise.all(tasks);
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

/**
 * The GoT dataframe against the pushes, as a list of violations. Each slot is written by one
 * client, one push at a time, and counts its pushes:
 * - through the app (`h<client>`): the pushes answered 200 count up one by one (a later push never
 *   reads less than an answered one wrote); in the final state the slot's count is the pushes
 *   answered 200 plus at most the ones that failed (a push made before a kill, answered 500), and
 *   its sequence number is the last answered one's or a failed later one's;
 * - over the protocol (`r<client>`): exactly what the client committed, the last push
 *   acknowledged, no error.
 * @param {Tally} t
 * @param {Array<{ key: string, seq: number, pushes: number }>} objects the final state of the dataframe
 */
function gotViolations(t, objects) {
  const out = [];
  const final = new Map(objects.map((x) => [x.key, x]));
  for (const [slot, s] of Object.entries(t.got)) {
    const obj = final.get(slot);
    final.delete(slot);
    for (let i = 1; i < s.acked.length; i++) {
      if (s.acked[i].pushes <= s.acked[i - 1].pushes) out.push(`${slot}: push ${s.acked[i].seq} answered count ${s.acked[i].pushes} after ${s.acked[i - 1].pushes}: an answered push was lost`);
    }
    if (!obj) {
      if (s.acked.length) out.push(`${slot}: ${s.acked.length} pushes answered 200, the object is missing`);
      continue;
    }
    const last = s.acked[s.acked.length - 1];
    const landed = obj.pushes - s.acked.length;
    if (landed < 0) out.push(`${slot}: ${s.acked.length} pushes answered 200, the object counts ${obj.pushes}`);
    if (landed > s.failed.length) out.push(`${slot}: ${landed} pushes landed without a 200, but only ${s.failed.length} failed`);
    if (last && (obj.pushes < last.pushes || obj.seq < last.seq)) out.push(`${slot}: ends at seq ${obj.seq} / ${obj.pushes} pushes, before the last answered push (${last.seq} / ${last.pushes})`);
    if ((!last || obj.seq !== last.seq) && !s.failed.includes(obj.seq)) out.push(`${slot}: ends at seq ${obj.seq}, neither the last answered push's nor a failed later one's`);
  }
  for (const [slot, s] of Object.entries(t.remote)) {
    const obj = final.get(slot);
    final.delete(slot);
    if (s.errors.length) out.push(`${slot}: ${s.errors.length} remote pushes failed (${s.errors[0]})`);
    if (s.pushed !== s.commits) out.push(`${slot}: ${s.commits} commits, ${s.pushed} acknowledged`);
    if (s.commits && (!obj || obj.pushes !== s.pushed || obj.seq !== s.lastSeq)) {
      out.push(`${slot}: acknowledged ${s.pushed} pushes up to seq ${s.lastSeq}, the server has ${JSON.stringify(obj || null)}`);
    }
  }
  for (const slot of final.keys()) out.push(`${slot}: an object nobody pushed`);
  return out;
}

/**
 * The dataframe's state as the app's GoT server gives it to a new client.
 * @param {string} gotUrl
 */
function gotState(gotUrl) {
  const { Dataframe } = require('../..');
  const df = new Dataframe(GOT_APP, [Slot], { remote: gotUrl });
  df.pull();
  return df.readAll(Slot);
}

/** Totals of a tally's GoT pushes, for a report. */
function gotSummary(t) {
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const h = Object.values(t.got);
  const r = Object.values(t.remote);
  return {
    appPushesOk: sum(h.map((s) => s.acked.length)),
    appPushesFailed: sum(h.map((s) => s.failed.length)),
    remotePushes: sum(r.map((s) => s.pushed)),
    remoteErrors: sum(r.map((s) => s.errors.length)),
  };
}

module.exports = { drive, newTally, counterViolations, gotViolations, gotState, gotSummary, sleep };
