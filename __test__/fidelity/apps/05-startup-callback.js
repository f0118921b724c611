'use strict';
// Data loaded at start-up by a callback, then changed by requests.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const express = require('express');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it
let users = [];
let loaded = false;

fs.readFile(path.join(__dirname, 'users.json'), 'utf8', (err, data) => {
  if (err) throw err;
  users = JSON.parse(data);
  loaded = true;
});

app.use(express.json());
app.get('/users', (req, res) => {
  if (!loaded) return res.status(503).send('loading');
  res.json(users.map((u) => u.name));
});
app.post('/users', (req, res) => {
  users.push({ name: req.body.name });
  res.status(201).json({ count: users.length });
});

// CPU work that needs no state: worth a worker under the default placement.
app.get('/avatar/:name', (req, res) => {
  let h = req.params.name;
  for (let i = 0; i < 2000; i++) h = crypto.createHash('sha256').update(h).digest('hex');
  res.send(h.slice(0, 12));
});

way.listen(app);
