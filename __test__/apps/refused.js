// Calls Express refuses (it throws inside the handler): under fluxion a worker records them and
// the main thread replays them, where the throw must still reach the error handler, not crash.
const express = require('express');

const app = express();

app.get('/status', (req, res) => {
  res.status(99).end();
});

app.get('/cookie', (req, res) => {
  res.cookie('a', 'b', { maxAge: 'soon' }).send('set');
});

app.get('/vary', (req, res) => {
  res.vary();
  res.send('varied');
});

app.get('/type-array', (req, res) => {
  res.set('Content-Type', ['text/plain', 'text/html']).send('two types');
});

app.get('/fine', (req, res) => {
  res.status(201).send('still here');
});

app.use((err, req, res, next) => {
  res.status(500).send(`${err.name}: ${err.message}`);
});

const server = app.listen(Number(process.env.PORT || 3000), () => console.log(`listening ${server.address().port}`));
