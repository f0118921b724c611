// Middleware that changes req in place (a nested object) before the next handler reads it.
const express = require('express');

const app = express();
app.use(express.json());

app.use(function normalise(req, res, next) {
  req.body.name = String(req.body.name || '').trim().toUpperCase();
  req.body.tags = (req.body.tags || []).concat('seen');
  req.query.page = req.query.page || '1';
  next();
});

app.post('/echo', function echo(req, res) {
  res.json({ body: req.body, page: req.query.page });
});

const server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
