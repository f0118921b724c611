'use strict';
// The listen block most Express apps end with: the callback reads a variable of the block.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const express = require('express');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it

app.get('/', (req, res) => res.send('home'));

if (require.main === module) {
  way.late(app);
  const port = process.env.PORT || 3000;
  way.announce(app.listen(port, () => console.log('listening on ' + port)));
}

module.exports = app;
