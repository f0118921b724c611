// State captured from an enclosing function (the shape of gifsockets-server's saveConnections):
// each thread that loads this module builds its own `registry`, so its users stay on the main thread.
const express = require('express');

class Registry {
  constructor() {
    this.items = [];
  }
  add(x) {
    this.items.push(x);
    return this.items.length;
  }
}

function build() {
  const registry = new Registry();
  const app = express();
  app.use(function attach(req, res, next) {
    req.registry = registry;
    next();
  });
  app.get('/add', function add(req, res) {
    res.send(String(req.registry.add(req.query.x)));
  });
  return app;
}

const app = build();
const server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
