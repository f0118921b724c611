'use strict';
// Routing settings set after the app is created (and fluxionized): Express 5 reads them when
// it builds its router, on first use.
const express = require('express');
const way = require('./way');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it
app.set('case sensitive routing', true);
app.set('strict routing', true);

app.get('/Users', (req, res) => res.send('Users'));
app.get('/users', (req, res) => res.send('users'));
app.get('/dir/', (req, res) => res.send('dir with slash'));

way.listen(app);
