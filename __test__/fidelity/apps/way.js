'use strict';
// How a fixture app lets fluxion in, from FLUXION_WAY (set by __test__/helpers/transcript.js):
// `require` (the app's first line is `require('fluxion/register')`: fixtures require this module
// first), `fluxionize-early` (fluxionize(app) right after express(), the most common call site) or
// `fluxionize-late` (just before listen). Every other way (`-r`, `--import`, `fluxion run`, the
// Jest preset) is the harness's business: nothing to do here. `plain`: fluxion is never loaded.
const WAY = process.env.FLUXION_WAY || 'plain';

if (WAY === 'require') require(`${process.env.FLUXION_MODULE}/register`);

function fluxionize(app) {
  return require(process.env.FLUXION_MODULE).fluxionize(app);
}

module.exports = {
  /** Whether the app has called announce(): under Jest it is not the main module (see jest-host.spec.js). */
  announced: false,
  /**
   * Call on the app right after `express()`, as `const app = express(); way.early(app);`: the
   * same as `const app = fluxionize(express())` at run time, but the compiler still sees
   * `app = express()` under -r register (it does not see through a call wrapping express()).
   */
  early(app) {
    return WAY === 'fluxionize-early' ? fluxionize(app) : app;
  },
  /** Call on the app once its routes are in place, before it listens. */
  late(app) {
    return WAY === 'fluxionize-late' ? fluxionize(app) : app;
  },
  /**
   * Tells the test harness the server's port (`listening <port>`), whatever the app's own listen
   * callback prints: apps written the usual way print the port they asked for, which is 0 here.
   */
  announce(server) {
    module.exports.announced = true;
    const say = () => console.log(`listening ${server.address().port}`);
    if (server.listening) say();
    else server.once('listening', say);
    return server;
  },
  /** The usual ending of a fixture: late() then listen on PORT, announced. */
  listen(app) {
    // For diagnosis only (tests never set it): where each fluxion was placed and ran.
    if (process.env.FIXTURE_STATS_ROUTE && WAY !== 'plain') {
      app.get('/__stats', (req, res) => res.json(require(process.env.FLUXION_MODULE).stats()));
    }
    module.exports.late(app);
    return module.exports.announce(app.listen(Number(process.env.PORT) || 0, '127.0.0.1'));
  },
};
