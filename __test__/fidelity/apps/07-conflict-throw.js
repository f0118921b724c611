'use strict';
// Tickets from a library's in-memory stock: buying after the last one throws, and the app's
// error handler answers 409. Concurrent buyers race for the last tickets.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const express = require('express');
const stock = require('tiny-stock');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it
const tickets = stock(330, 1000);

app.post('/buy', tickets.buy);
app.get('/left', tickets.left);
app.use((err, req, res, next) => {
  res.status(err.status || 500).json({ error: err.message });
});

way.listen(app);
