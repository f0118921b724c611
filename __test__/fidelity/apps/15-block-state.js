'use strict';
// The whole app inside a top-level block, its state declared there.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const express = require('express');

if (process.env.PORT) {
  const app = express();
  way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it
  let visits = 0;
  app.get('/', (req, res) => {
    visits += 1;
    res.send(`visit ${visits}`);
  });
  way.listen(app);
}
