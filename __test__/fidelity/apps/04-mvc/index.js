'use strict';
// An MVC-style app in the manner of Express's `mvc` example: controllers found on disk and
// mounted by a boot script, a db module holding the data, a `before` hook loading the record.
const way = require('../way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const express = require('express');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it
app.use(express.urlencoded({ extended: true }));
require('./lib/boot')(app, { verbose: false });

app.use((err, req, res, next) => {
  res.status(500).send(`error: ${err.message}`);
});
app.use((req, res) => res.status(404).send('not found'));

way.listen(app);
