'use strict';
// The project's own Jest transform for the preset's must-show suite: babel-jest (what Jest uses
// by default), then a rewrite of a marker, so that a module loaded without this transform answers
// differently. The preset must compose with it, on the main thread and on fluxion's workers.
const babelJest = require('babel-jest');

const babel = (babelJest.default || babelJest).createTransformer();
const MARKER = /'__GREETING__'/g;

module.exports = {
  process(src, filename, options) {
    const out = babel.process(src, filename, options);
    return { ...out, code: out.code.replace(MARKER, "'hello from the project transform'") };
  },
  getCacheKey(src, filename, options) {
    return `greeting:${babel.getCacheKey(src, filename, options)}`;
  },
};
