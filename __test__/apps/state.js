// Module state, closures, an in-memory store, middleware chains and errors.
const express = require('express');

const app = express();
let visits = 0;
const notes = new Map();
let lastId = 0;

function counter(start) {
  let n = start;
  return function next() {
    n += 1;
    return n;
  };
}
const ticket = counter(100);

app.use(express.json());
app.get('/__stats', (req, res) => res.json(require(process.env.FLUXION_MODULE || 'fluxion').stats()));

app.use(function identify(req, res, next) {
  req.user = req.get('x-user') || 'anonymous';
  next();
});

app.get('/visits', function visitsRoute(req, res) {
  visits++;
  res.set('X-Visits', String(visits)).send(`visit ${visits} by ${req.user}`);
});

app.get('/ticket', function ticketRoute(req, res) {
  res.json({ ticket: ticket() });
});

app.post('/notes', function addNote(req, res) {
  if (!req.body || typeof req.body.text !== 'string') {
    const err = new Error('text is required');
    err.status = 422;
    throw err;
  }
  lastId += 1;
  notes.set(lastId, { id: lastId, text: req.body.text, by: req.user });
  res.status(201).location(`/notes/${lastId}`).json(notes.get(lastId));
});

app.get('/notes/:id', function getNote(req, res, next) {
  const note = notes.get(Number(req.params.id));
  if (!note) return next();
  res.json(note);
});

app.get('/notes', function listNotes(req, res) {
  res.json([...notes.values()]);
});

app.use(function notFound(req, res) {
  res.status(404).json({ error: 'not found', path: req.path });
});

app.use(function onError(err, req, res, next) {
  res.status(err.status || 500).json({ error: err.message });
});

const server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
