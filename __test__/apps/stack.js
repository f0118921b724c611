// Stack traces point at the original lines, also in code the runtime re-created on a worker.
const express = require('express');
const fs = require('fs');

const app = express();
let hits = 0;

app.get('/', function handler(req, res) {
  fs.stat(__filename, function reply(err) {
    hits += 1;
    const frame = new Error('here').stack.split('\n')[1];
    res.send(`${hits} ${frame.slice(frame.lastIndexOf('/') + 1)}`);
  });
});

app.get('/__stats', (req, res) => res.json(require(process.env.FLUXION_MODULE || 'fluxion').stats()));

const server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
