'use strict';
// What apps compute once per process: an instance id and a start time.
const crypto = require('node:crypto');

module.exports = { id: crypto.randomBytes(8).toString('hex'), startedAt: Date.now() };
