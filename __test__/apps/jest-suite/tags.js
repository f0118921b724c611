'use strict';
// A router made by a factory, its options in the handlers' closure (as json-server's nested
// routes): the second handler of the chained registration is compiled at run time from the live
// router, its closure read through V8's inspector — under Jest, from Node's main context.
const express = require('express');

module.exports = (opts) => {
  const router = express.Router();
  function list(req, res) {
    res.json({ prefix: opts.prefix });
  }
  function tag(req, res) {
    res.json({ tag: `${opts.prefix}${req.params.name}` });
  }
  return router.get('/', list).get('/:name', tag);
};
