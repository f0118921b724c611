'use strict';
// Bodies that are not plain data: JSON rules apply (functions dropped, toJSON honoured).
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const express = require('express');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it

class Money {
  constructor(cents, currency) {
    this.cents = cents;
    this.currency = currency;
  }
  toJSON() {
    return `${(this.cents / 100).toFixed(2)} ${this.currency}`;
  }
}
class Point {
  constructor(x, y) {
    this.x = x;
    this.y = y;
  }
  norm() {
    return Math.hypot(this.x, this.y);
  }
}

app.get('/method', (req, res) => res.send({ a: 1, f() {} }));
app.get('/tojson', (req, res) => res.json({ price: new Money(1250, 'EUR') }));
app.get('/instance', (req, res) => res.json(new Point(3, 4)));
app.get('/fine', (req, res) => res.json({ ok: true }));

way.listen(app);
