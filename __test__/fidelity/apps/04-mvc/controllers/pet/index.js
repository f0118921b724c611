'use strict';
const db = require('../../db');

exports.engine = 'none';

exports.before = function (req, res, next) {
  const pet = db.pets[req.params.pet_id];
  if (!pet) return next('route');
  req.pet = pet;
  next();
};

exports.show = function (req, res) {
  res.json(req.pet);
};

exports.edit = function (req, res) {
  res.send(`<form method="post" action="/pet/${req.pet.id}?_method=put">${req.pet.name}</form>`);
};

exports.update = function (req, res) {
  const body = req.body;
  req.pet.name = body.pet.name;
  res.redirect('/pet/' + req.pet.id);
};
