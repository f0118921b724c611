'use strict';
// A module with state of its own: the sessions it has seen.
const seen = new Map();

exports.touch = function touch(id) {
  seen.set(id, (seen.get(id) || 0) + 1);
  return { id, visits: seen.get(id) };
};
