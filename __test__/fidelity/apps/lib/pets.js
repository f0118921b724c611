'use strict';
// A data module: plain objects other modules change in place.
exports.pets = [{ name: 'Tobi' }, { name: 'Loki' }];
