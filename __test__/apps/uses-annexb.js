const express = require('express');
const helper = require('./annexb');

const app = express();
app.get('/', (req, res) => res.send(helper()));
const server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
