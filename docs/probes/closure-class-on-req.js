// Issue 4 probe: the shape of gifsockets-server's saveConnections (req.gifsocket = gifsocket, an
// object built in the enclosing function), with the app built at module load. Plain: 200:1..4.
// FLUXION_WORKERS=2 FLUXION_PLACEMENT=eager node -r ./register.js docs/probes/closure-class-on-req.js
// gives 500 "req.sock.add is not a function" (run from the repo root).
const express = require('express');
class Sock { constructor() { this.listeners = []; } add(x) { this.listeners.push(x); return this.listeners.length; } }
function build() {
  const sock = new Sock(); // like gifsockets-server's `gifsocket`, read-only in saveConnections
  const app = express();
  app.use(function saveConnections(req, res, next) { req.sock = sock; next(); });
  app.get('/c', function open(req, res) { res.send(String(req.sock.add(1))); });
  return app;
}
const app = build();
const server = app.listen(0, async () => {
  const url = `http://127.0.0.1:${server.address().port}/c`;
  const got = [];
  for (let i = 0; i < 4; i++) { const r = await fetch(url); got.push(r.status + ':' + (await r.text()).split('\n')[0].slice(0, 60)); }
  console.log('responses', got.join(' | '));
  for (const s of require('../../lib/index.js').stats().filter((f) => !f.id.includes('main@'))) console.log(s.id.split('#')[1], s.placement, JSON.stringify(s.executions));
  server.close(); process.exit(0);
});
