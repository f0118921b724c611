// #1 as an ES module: `node --import fluxion/register 01-await-after-cpu.mjs`.
import way from './way.js'; // first: under FLUXION_WAY=require it is the app's `import 'fluxion/register'`
import crypto from 'node:crypto';
import fs from 'node:fs';
import express from 'express';

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it
let visits = 0;

function hash(ms) {
  const end = process.hrtime.bigint() + BigInt(ms * 1e6);
  let h = 'seed';
  while (process.hrtime.bigint() < end) h = crypto.createHash('sha256').update(h).digest('hex');
  return h;
}

app.get('/v', async (req, res) => {
  hash(2);
  await fs.promises.readFile(new URL(import.meta.url));
  visits += 1;
  res.send(String(visits));
});

way.listen(app);
