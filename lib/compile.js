'use strict';
const native = require('./native');
const config = require('./config');
const { FluxionSyntaxError, FluxionConfigError, FluxionInternalError } = require('./errors');

// svg is drawn in JS from the json graph (lib/dashboard/svg.js: the dashboard's layout).
const EMITS = ['flx', 'json', 'dot', 'svg'];

/**
 * Compiles one module's source into its fluxion graph, printed as `flx` (the paper's fluxional
 * language), `json`, `dot` or `svg` (a picture laid out by dagre, as the dashboard draws it).
 * @param {string} source
 * @param {import('../index').CompileOptions} [options]
 * @returns {import('../index').CompileResult}
 */
function compile(source, options = {}) {
  if (typeof source !== 'string') {
    throw new TypeError(`compile(source): source must be a string, got ${typeof source}`);
  }
  const filename = options.filename || '<input>';
  const emit = options.emit || 'flx';
  if (!EMITS.includes(emit)) {
    throw new FluxionConfigError('emit', `unknown format "${emit}"; use ${EMITS.join(', ')}`);
  }
  const cfg = options.config
    ? config.validate(options.config, 'options.config')
    : options.filename
      ? config.forFile(options.filename)
      : {};
  const rp = cfg.rupturePoints || {};
  const result = native.load().compile(source, {
    filename,
    emit: emit === 'svg' ? 'json' : emit,
    rupturePoints: { start: rp.start || [], post: rp.post || [] },
  });
  if (result.error) {
    const e = result.error;
    if (e.kind === 'syntax') throw new FluxionSyntaxError(e);
    if (e.kind === 'config') throw new FluxionConfigError(e.key, e.message, 'options.config');
    throw new FluxionInternalError(e.message, e.file);
  }
  if (emit === 'svg') {
    const { svgOf } = require('./dashboard/svg');
    const output = svgOf([{ file: filename, graph: JSON.parse(result.output), source }], { title: filename });
    return { output, warnings: result.warnings };
  }
  return { output: result.output, warnings: result.warnings };
}

/**
 * The fluxion graph of a module as an object.
 * @param {string} source
 * @param {Omit<import('../index').CompileOptions, 'emit'>} [options]
 * @returns {import('../index').FluxionGraph}
 */
function graph(source, options = {}) {
  return JSON.parse(compile(source, { ...options, emit: 'json' }).output);
}

module.exports = { compile, graph, EMITS };
