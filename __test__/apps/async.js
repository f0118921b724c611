// fs callbacks, promise chains, async/await, next(err), thrown errors, res after async steps.
const express = require('express');
const fs = require('fs');
const path = require('path');

const app = express();
const dataFile = path.join(__dirname, 'state.js');

function lookup(id) {
  return new Promise((resolve, reject) => {
    setTimeout(() => (id === 'missing' ? reject(Object.assign(new Error('no such user'), { status: 404, code: 'E_USER' })) : resolve({ id, name: `user ${id}` })), 1);
  });
}

app.get('/file', function readIt(req, res) {
  fs.readFile(dataFile, 'utf8', function gotFile(err, text) {
    if (err) return res.status(500).send(err.message);
    res.type('text/plain').send(`${text.split('\n').length} lines`);
  });
});

app.get('/stat', function statIt(req, res, next) {
  fs.stat(req.query.f === 'none' ? '/nonexistent/x' : dataFile, function gotStat(err, st) {
    if (err) return next(err);
    res.json({ file: st.isFile() });
  });
});

app.get('/chain/:id', function chain(req, res, next) {
  lookup(req.params.id)
    .then((user) => ({ ...user, upper: user.name.toUpperCase() }))
    .then((user) => res.json(user))
    .catch(next);
});

app.get('/await/:id', async function awaiting(req, res) {
  const user = await lookup(req.params.id);
  const again = await lookup(user.id + '!');
  res.set('X-Steps', '2').json({ user, again });
});

app.get('/throw', function thrower() {
  throw Object.assign(new Error('boom'), { status: 418, expose: true });
});

app.get('/redirect', (req, res) => res.redirect(302, '/file?from=redirect'));

app.get('/timer', function later(req, res) {
  setTimeout(function fire() {
    res.status(202).end('later');
  }, 2);
});

app.use(function onError(err, req, res, next) {
  res.status(err.status || 500).json({ error: err.message, code: err.code || null });
});

app.get('/__stats', (req, res) => res.json(require(process.env.FLUXION_MODULE || 'fluxion').stats()));

const server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
