// The paper's Listing 1, with a template that does real CPU work (about 2 ms).
var app = require('express')(),
  fs = require('fs'),
  crypto = require('crypto'),
  count = 0;

function template(count, data) {
  var h = data;
  for (var i = 0; i < 1500; i++) h = crypto.createHash('sha256').update(h).digest();
  return 'count: ' + count + ' ' + h.toString('hex').slice(0, 8);
}

app.get('/', function handler(req, res) {
  fs.readFile(__filename, function reply(err, data) {
    count += 1;
    res.send(err || template(count, data));
  });
});

app.get('/__stats', function (req, res) {
  res.json(require(process.env.FLUXION_MODULE || 'fluxion').stats());
});

app.get('/__kill', function (req, res) {
  var fluxion = require(process.env.FLUXION_MODULE || 'fluxion');
  fluxion.terminateWorker(Number(req.query.thread)).then(function () {
    res.json(fluxion.workers());
  });
});

app.get('/__workers', function (req, res) {
  res.json(require(process.env.FLUXION_MODULE || 'fluxion').workers());
});

app.get('/__move', function (req, res, next) {
  var fluxion = require(process.env.FLUXION_MODULE || 'fluxion');
  fluxion.moveContext(req.query.id, Number(req.query.to)).then(function (host) {
    res.json({ host: host });
  }, next);
});

module.exports = app;
if (require.main === module) {
  var server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', function () {
    console.log('listening ' + server.address().port);
  });
}
