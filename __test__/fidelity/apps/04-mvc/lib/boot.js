'use strict';
// Mounts every controller under ../controllers: exported names become routes.
const express = require('express');
const fs = require('node:fs');
const path = require('node:path');

module.exports = function (parent, options) {
  const dir = path.join(__dirname, '..', 'controllers');
  fs.readdirSync(dir).forEach(function (name) {
    const file = path.join(dir, name);
    if (!fs.statSync(file).isDirectory()) return;
    const obj = require(file);
    const prefix = obj.prefix || '';
    const app = express();
    let handler;
    let method;
    let url;
    for (const key in obj) {
      if (['name', 'prefix', 'engine', 'before'].includes(key)) continue;
      switch (key) {
        case 'show':
          method = 'get';
          url = '/' + name + '/:' + name + '_id';
          break;
        case 'edit':
          method = 'get';
          url = '/' + name + '/:' + name + '_id/edit';
          break;
        case 'update':
          method = 'put';
          url = '/' + name + '/:' + name + '_id';
          break;
        default:
          throw new Error('unrecognized route: ' + name + '.' + key);
      }
      handler = obj[key];
      url = prefix + url;
      if (obj.before) app[method](url, obj.before, handler);
      else app[method](url, handler);
      if (options.verbose) console.log('     %s %s -> %s', method.toUpperCase(), url, key);
    }
    parent.use(app);
  });
};
