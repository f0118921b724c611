'use strict';
// Adaptive placement of stateless handlers (lib/placement/adaptive.js): a run must cost more than the
// messages that moving it takes, as measured while the app runs.
const { thresholds, HIGH } = require('../lib/placement/adaptive');

test('without a measured message, the fixed floor and its half', () => {
  expect(thresholds({ messagesTimed: 0, messageCpuMicros: 0 })).toEqual({ high: HIGH, low: HIGH / 2 });
});

test('cheap messages leave the floor; a costly message raises both thresholds, with a band between', () => {
  expect(thresholds({ messagesTimed: 10, messageCpuMicros: 300 })).toEqual({ high: HIGH, low: HIGH / 2 }); // 30 µs each
  // 400 µs per message (a large request body, say): a run must cost more than 800 µs to move,
  // and comes back under 600 µs.
  expect(thresholds({ messagesTimed: 10, messageCpuMicros: 4000 })).toEqual({ high: 800, low: 600 });
});
