'use strict';
// res.render with a callback (Express's own tests do this): the callback gets the HTML.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const express = require('express');
const fs = require('node:fs');
const path = require('node:path');

const app = express();
way.early(app);
app.set('views', path.join(__dirname, 'views'));
app.engine('tmpl', (file, options, cb) => {
  fs.readFile(file, 'utf8', (err, text) => (err ? cb(err) : cb(null, text.replace('{{name}}', options.name))));
});

app.get('/render', (req, res) => {
  res.render('user.tmpl', { name: req.query.name || 'tobi' }, (err, html) => {
    if (err) return res.status(500).end(err.message);
    res.set('X-Length', String(html.length)).end(html.toUpperCase());
  });
});
app.get('/missing', (req, res) => {
  res.render('nope.tmpl', (err) => res.status(err ? 404 : 200).end(err ? 'no view' : 'view?'));
});

way.listen(app);
