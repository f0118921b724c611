'use strict';
// Code that checks res.headersSent after answering, as guards and loggers do.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const express = require('express');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it

app.get('/once', (req, res) => {
  res.json({ first: true });
  console.log(`after json, headersSent=${res.headersSent}`);
  if (!res.headersSent) res.json({ second: true });
});

app.get('/fine', (req, res) => res.send('fine'));

way.listen(app);
