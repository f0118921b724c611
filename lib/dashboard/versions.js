'use strict';
// The versions of the `fluxion-contexts` dataframe (GoT: lib/core/contexts.js commits each
// context there) as a small DAG. The store keeps, after garbage collection, the root, its head
// and the versions some thread's dataframe holds (one per thread that committed or checked out
// a context), with the diffs composed between them; each look adds what it sees to what was
// seen before, so the picture keeps the latest commits (marked `collected` once the store let
// them go), newest first.

const KEPT = 16;

/**
 * @typedef {{ version: string, parents: string[], refs: number, firstSeen: number, collected: boolean }} SeenVersion
 * @typedef {{ head: string | null, total: number, versions: SeenVersion[], exact: boolean }} VersionsView
 */

function create() {
  let df = null;
  /** @type {Map<string, SeenVersion>} */
  const seen = new Map();
  let head = null;
  let total = 0;
  let exact = true;

  function frame() {
    if (!df) {
      const { Dataframe, pccSet, primaryKey } = require('../got/dataframe');
      // The same type as lib/core/contexts.js declares (a store app has one schema).
      const Ctx = pccSet('FluxionContext', { key: primaryKey('str'), value: 'bytes' });
      df = new Dataframe('fluxion-contexts', [Ctx]);
    }
    return df;
  }

  /**
   * Looks at the store now.
   * @returns {VersionsView}
   */
  function look() {
    const d = frame();
    const now = Date.now();
    let current;
    if (typeof d._native.storeGraph === 'function') {
      current = d._native.storeGraph(KEPT);
    } else {
      // An addon without storeGraph: the heads seen, one after the other (not the real DAG).
      exact = false;
      d.pull();
      const v = d.version;
      current = { head: v, total: d.storeVersions, versions: [{ version: v, parents: head && head !== v ? [head] : [], refs: 1 }] };
    }
    head = current.head;
    total = current.total;
    const present = new Set(current.versions.map((v) => v.version));
    for (const v of current.versions) {
      const s = seen.get(v.version);
      if (s) {
        s.refs = v.refs;
        s.collected = false;
        for (const p of v.parents) if (!s.parents.includes(p)) s.parents.push(p);
      } else seen.set(v.version, { version: v.version, parents: [...v.parents], refs: v.refs, firstSeen: now, collected: false });
    }
    for (const [id, s] of seen) if (!present.has(id) && exact) s.collected = true;
    // Keep the newest; the root stays while something points at it.
    const newest = [...seen.values()].sort((a, b) => b.firstSeen - a.firstSeen || (a.version < b.version ? 1 : -1));
    for (const s of newest.slice(KEPT)) seen.delete(s.version);
    return view();
  }

  /** @returns {VersionsView} */
  function view() {
    const versions = [...seen.values()].sort((a, b) => b.firstSeen - a.firstSeen);
    return { head, total, versions, exact };
  }

  return { look, view };
}

module.exports = { create, KEPT };
