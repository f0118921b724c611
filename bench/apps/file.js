// Scenario 4: I/O then a light transform: fs.readFile, upper-case the text, hash it once.
const express = require('express');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const app = express();
const file = path.join(__dirname, 'fixture.txt');

app.get('/file', (req, res) => {
  fs.readFile(file, 'utf8', (err, text) => {
    if (err) return res.status(500).send(err.message);
    const upper = text.toUpperCase();
    const digest = crypto.createHash('sha256').update(upper).digest('hex');
    res.json({ bytes: upper.length, sha256: digest, head: upper.slice(0, 32) });
  });
});

require('./common').statsRoute(app);

// Listens unconditionally (bench/cluster.js requires this file in each of its processes).
var server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', function () {
  console.log('listening ' + server.address().port);
});
