// Scenario 2: the paper's Listing 1. A module-level counter, fs.readFile, then a CPU-heavy
// template (about 2 ms). GET /count reads the counter without changing it.
var app = require('express')(),
  fs = require('fs'),
  crypto = require('crypto'),
  count = 0;

function template(count, data) {
  var h = data;
  for (var i = 0; i < 1000; i++) h = crypto.createHash('sha256').update(h).digest();
  return 'count: ' + count + ' ' + h.toString('hex').slice(0, 8);
}

app.get('/', function handler(req, res) {
  fs.readFile(__filename, function reply(err, data) {
    count += 1;
    res.send(err || template(count, data));
  });
});

app.get('/count', function (req, res) {
  res.send(String(count));
});

require('./common').statsRoute(app);

// Listens unconditionally (bench/cluster.js requires this file in each of its processes).
var server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', function () {
  console.log('listening ' + server.address().port);
});
