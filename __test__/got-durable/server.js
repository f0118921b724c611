'use strict';
// Serves app "Crash" with a dataDir and prints its port; the test SIGKILLs it.
const { Dataframe, pccSet, primaryKey, serve } = require('../..');
const Item = pccSet('Item', { id: primaryKey('int'), n: 'int' });
new Dataframe('Crash', [Item], { dataDir: process.argv[2] });
const server = serve({ dataDir: process.argv[2], apps: ['Crash'] });
process.stdout.write(`${server.port}\n`);
setInterval(() => {}, 1 << 30);
