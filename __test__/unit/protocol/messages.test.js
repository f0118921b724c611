'use strict';
const fs = require('node:fs');
const { TABLE, kinds } = require('../../../lib/protocol/messages');
const { withTable, README } = require('../../../scripts/messages-table');

test('every message has a sender, a receiver, a handler, fields and a meaning', () => {
  for (const [kind, m] of Object.entries(TABLE)) {
    expect(['main', 'worker', 'any']).toContain(m.from);
    expect(['main', 'worker', 'any']).toContain(m.to);
    expect(m.handler).toMatch(/\.js/);
    expect(Object.keys(m.fields).length).toBeGreaterThan(0);
    expect(m.doc.length).toBeGreaterThan(10);
    expect(Object.values(kinds)).toContain(kind);
  }
});

test("the README's table of messages is the one lib/protocol/messages.js makes", () => {
  const readme = fs.readFileSync(README, 'utf8');
  // `node scripts/messages-table.js --write` updates it.
  expect(readme).toBe(withTable(readme));
});
