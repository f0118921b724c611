// scripts/tarball/app.js as an ES module, for `node --import fluxion/register app.mjs`.
import crypto from 'node:crypto';
import express from 'express';

const app = express();
let count = 0;

app.get('/count', (req, res) => {
  count += 1;
  res.json({ count });
});

app.get('/hash', (req, res) => {
  let h = String(req.query.s || 'x');
  for (let i = 0; i < 2000; i++) h = crypto.createHash('sha256').update(h).digest('hex');
  res.json({ h: h.slice(0, 12) });
});

const server = app.listen(0, () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => {
  server.close(() => console.log('closed gracefully'));
});
