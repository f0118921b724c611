// An ES module app: `node --import fluxion/register esm.mjs`.
import express from 'express';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs';

const app = express();
let served = 0;

app.get('/hash/:s', (req, res) => {
  res.json({ s: req.params.s, hash: createHash('sha256').update(req.params.s).digest('hex') });
});

app.get('/count', (req, res) => {
  readFile(new URL(import.meta.url), function counted(err, buf) {
    served += 1;
    res.send(`${served} ${buf.length > 0}`);
  });
});

app.get('/__stats', async (req, res) => {
  const { stats } = await import(process.env.FLUXION_MODULE + '/lib/index.js');
  res.json(stats());
});

const server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
