// bench/dispatch.js's app: the cheapest handlers of each kind, so that what is measured is the
// cost of moving a request to a worker and its answer back.
var express = require('express');
var fs = require('fs');

var app = express();
var count = 0;

// A stateless handler: replicated (with FLUXION_PLACEMENT=eager it always runs on a worker).
app.get('/hello', function hello(req, res) {
  res.send('hello');
});

// JSON with a route parameter and a query string.
app.get('/json/:n', function json(req, res) {
  res.json({ n: req.params.n, q: req.query.q || null });
});

// The paper's Listing 1 without the template: a handler, a continuation with a context.
app.get('/count', function handler(req, res) {
  fs.stat(__filename, function reply(err) {
    count += 1;
    res.send(err ? 'error' : 'count: ' + count);
  });
});

var server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', function () {
  if (process.send) process.send({ port: server.address().port });
  else console.log('listening ' + server.address().port);
});
module.exports = server;
