'use strict';
// Response calls whose values Express transforms: header coercion, a URL for Location, a JSON
// replacer function among the settings, and data modules written by handlers.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const express = require('express');
const db = require('./lib/pets');

const app = express();
way.early(app);
app.set('json replacer', (key, value) => (key.startsWith('_') ? undefined : value));

app.get('/coerce', (req, res) => {
  res.set('X-Number', 123);
  res.set({ 'X-List': [1, 2], 'Content-Type': 'text/plain' });
  res.end(`${typeof res.get('X-Number')} ${JSON.stringify(res.get('X-List'))} ${res.get('Content-Type')}`);
});
app.get('/url', (req, res) => res.location(new URL('http://example.com/a?b=1')).end());
app.get('/replacer', (req, res) => res.json({ name: 'tobi', _id: 1 }));
app.put('/pet/:id', (req, res) => {
  db.pets[req.params.id].name = 'Boots';
  res.send('ok');
});
app.get('/pet/:id', (req, res) => res.send(db.pets[req.params.id].name));

way.listen(app);
