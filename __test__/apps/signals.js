'use strict';
// An app for the stats-file-on-signal tests: a counter route; with GRACEFUL=1 its own SIGTERM
// handler closes the server and says so (it must keep working under fluxion).
const express = require('express');

const app = express();
let count = 0;
app.get('/count', (req, res) => {
  count += 1;
  res.json({ count });
});
const server = app.listen(Number(process.env.PORT) || 0, () => console.log(`listening ${server.address().port}`));
if (process.env.GRACEFUL === '1') {
  process.on('SIGTERM', () => {
    server.close(() => {
      console.log('closed gracefully');
    });
  });
}
if (process.env.EXIT_AFTER === '1') {
  app.get('/bye', (req, res) => {
    res.json({ bye: true });
    server.close();
  });
}
