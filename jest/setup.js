'use strict';
// Runs in each test file (setupFilesAfterEnv), in the file's own module registry — the one the
// compiled app modules reach fluxion's runtime through. fluxion watches servers as
// `node -r fluxion/register` does (supertest's app.listen included); after the file, it stops
// its workers and restores `net.Server.prototype.listen`, so nothing leaks into the next file
// and Jest exits by itself. A bad setting fails the file with FluxionConfigError.
const fluxion = require('../lib/index');

require('../lib/hook/register').install({ jest: true });

afterAll(() => fluxion.shutdown());
