// Variables a callback reads are read when it runs: a const declared after the call is fine.
const express = require('express');
const fs = require('fs');

const app = express();
let calls = 0;

app.get('/tdz', (req, res) => {
  fs.stat(__filename, () => {
    calls += 1;
    res.send(`${m} ${calls}`);
  });
  const m = 'ok';
});

function serve(a) {
  const server = a.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
    console.log('listening ' + server.address().port);
  });
}
serve(app);
