'use strict';
// One handler that updates several counters, each also updated by a handler of its own: the
// basket shares state with every fruit route, so all of them must see the same counters.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const express = require('express');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it
let apples = 0;
let pears = 0;
let plums = 0;
let figs = 0;
let kiwis = 0;
let limes = 0;

app.get('/apples', (req, res) => res.send(`apples ${++apples}`));
app.get('/pears', (req, res) => res.send(`pears ${++pears}`));
app.get('/plums', (req, res) => res.send(`plums ${++plums}`));
app.get('/figs', (req, res) => res.send(`figs ${++figs}`));
app.get('/kiwis', (req, res) => res.send(`kiwis ${++kiwis}`));
app.get('/limes', (req, res) => res.send(`limes ${++limes}`));
app.get('/basket', (req, res) => {
  apples += 1;
  pears += 1;
  plums += 1;
  figs += 1;
  kiwis += 1;
  limes += 1;
  res.json({ apples, pears, plums, figs, kiwis, limes });
});

way.listen(app);
