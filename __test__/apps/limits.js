// Reports the V8 resource limits of the thread its handler runs on (FLUXION_WORKER_YOUNG_MB).
const express = require('express');
const { threadId, resourceLimits } = require('node:worker_threads');

const app = express();

app.get('/limits', (req, res) => {
  res.json({ threadId, resourceLimits });
});

const server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
