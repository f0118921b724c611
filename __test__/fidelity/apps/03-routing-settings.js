'use strict';
// Routing settings set after the app is created (and fluxionized): Express 5 reads them when
// it builds its router, on first use.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const express = require('express');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it
app.set('case sensitive routing', true);
app.set('strict routing', true);

app.get('/Users', (req, res) => res.send('Users'));
app.get('/users', (req, res) => res.send('users'));
app.get('/dir/', (req, res) => res.send('dir with slash'));

way.listen(app);
