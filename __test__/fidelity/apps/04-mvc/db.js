'use strict';
// The "database": objects in memory, changed in place by the controllers.
const pets = [];
pets.push({ name: 'Tobi', id: 0 });
pets.push({ name: 'Loki', id: 1 });
pets.push({ name: 'Jane', id: 2 });
pets.push({ name: 'Raul', id: 3 });

exports.pets = pets;
