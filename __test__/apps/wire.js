// What crosses threads with each message: res.locals both ways (with a local that cannot be
// copied), Buffers (a response body, a raw request body, a callback's argument), Dates.
const express = require('express');
const fs = require('fs');

const app = express();
let reads = 0;

app.use(function setLocals(req, res, next) {
  res.locals.site = 'fluxion';
  res.locals.helper = function helper() {}; // cannot be copied to a worker: left out there
  next();
});

app.get('/locals', function addLocals(req, res, next) {
  res.locals.user = { name: 'ada', tags: ['x'] };
  res.locals.site += '!';
  next();
});
app.get('/locals', function showLocals(req, res) {
  res.json({ site: res.locals.site, user: res.locals.user });
});

app.get('/buffer', function sendBuffer(req, res) {
  res.send(Buffer.from('h\u00e9llo'));
});

app.post('/raw', express.raw({ type: '*/*' }), function rawBody(req, res) {
  res.json({ isBuffer: Buffer.isBuffer(req.body), length: req.body.length, first: req.body[0] });
});

app.get('/read', function readSelf(req, res) {
  fs.readFile(__filename, function got(err, data) {
    reads += 1;
    res.json({ reads, isBuffer: Buffer.isBuffer(data), head: data.toString('utf8', 0, 14) });
  });
});

app.get('/date', function sendDate(req, res) {
  res.json({ when: new Date(0), re: String(/x+/g) });
});

const server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
