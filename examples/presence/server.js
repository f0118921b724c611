'use strict';
// The thesis's web-presence demo (chapter 7): browsers join a presence space over WebSocket,
// this Node process holds the authoritative dataframe and prints who is online.
//
//   node examples/presence/server.js            then open the printed http:// address
//
// GOT_PORT and HTTP_PORT choose the ports (default: any free one).
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { Dataframe, pccSet, primaryKey, settings } = require('../..');

// The thesis's IDL: class Presence { primary str pkey; int count; str users }.
const Presence = pccSet('Presence', { pkey: primaryKey('str'), count: 'int', users: 'str' });

const FILES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/got-client.js': ['got-client.js', 'text/javascript; charset=utf-8'],
};

/**
 * Starts the GoT server and the page's HTTP server.
 * @returns {Promise<{httpUrl: string, gotUrl: string, wsUrl: string, app: string, close(): Promise<void>}>}
 */
async function start({ httpPort = 0, gotPort = 0, app = 'PresenceApp', log = console.log } = {}) {
  const df = new Dataframe(app, [Presence]);
  df.pull();
  if (!df.readOne(Presence, 'Presence')) {
    df.addOne(Presence, { pkey: 'Presence', count: 0, users: '[]' });
    df.commit();
    df.push();
  }
  const got = df.serve({ port: gotPort });
  const page = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      // With a GoT token set (FLUXION_GOT_TOKEN), the page gets it from the server that served
      // it (a real app would hand it out after a login); the GoT server checks the page's Origin.
      return res.end(JSON.stringify({ ws: `ws://127.0.0.1:${got.port}`, app, token: settings().gotToken || undefined }));
    }
    const f = FILES[url.pathname];
    if (!f) {
      res.writeHead(404);
      return res.end('not found');
    }
    res.writeHead(200, { 'content-type': f[1] });
    fs.createReadStream(path.join(__dirname, 'public', f[0])).pipe(res);
  });
  await new Promise((resolve) => page.listen(httpPort, '127.0.0.1', resolve));

  // Like the thesis's host(): report every change of who is online.
  let running = true;
  (async () => {
    while (running) {
      const r = await df.pullAwait({ timeoutMs: 1000 });
      if (r.changed) {
        const p = df.readOne(Presence, 'Presence');
        log(`No. of users online = ${p.count}: ${p.users}`);
      }
    }
  })().catch((e) => log(`presence loop stopped: ${e.message}`));

  return {
    httpUrl: `http://127.0.0.1:${page.address().port}/`,
    gotUrl: got.url,
    wsUrl: got.wsUrl,
    app,
    async close() {
      running = false;
      got.close();
      await new Promise((resolve) => page.close(resolve));
    },
  };
}

module.exports = { start, Presence };

if (require.main === module) {
  start({ httpPort: Number(process.env.HTTP_PORT || 0), gotPort: Number(process.env.GOT_PORT || 0) }).then((s) => {
    console.log(`presence: open ${s.httpUrl} (GoT server ${s.gotUrl}, WebSocket ${s.wsUrl})`);
  });
}
