// Scenario 3: a trivial route. Offloading it costs more than it saves: it should stay inline.
const express = require('express');

const app = express();

app.get('/', (req, res) => {
  res.send('hello');
});

require('./common').statsRoute(app);

// Listens unconditionally (bench/cluster.js requires this file in each of its processes).
var server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', function () {
  console.log('listening ' + server.address().port);
});
