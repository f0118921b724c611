'use strict';
// `fluxion compile app.js --emit svg`: the same picture as the dashboard's graph, without live
// figures — the compiler's graph (model.js) laid out by dagre in Node and drawn by public/render.js.
const model = require('./model');
const render = require('./public/render');

/**
 * One SVG document for one or several modules.
 * @param {Array<{ file: string, graph: any, source?: string }>} modules compiler graphs (`--emit json`)
 * @param {{ root?: string, title?: string }} [options]
 * @returns {string}
 */
function svgOf(modules, options = {}) {
  const dagre = require('@dagrejs/dagre');
  const sources = new Map(modules.map((m) => [m.file, m.source || null]));
  const m = model.build(modules.map((x) => [x.file, x.graph]), { sourceOf: (f) => sources.get(f), root: options.root });
  const laid = render.layout(m, dagre, { live: false });
  return `${render.svg(laid, { title: options.title || 'fluxion graph' })}\n`;
}

module.exports = { svgOf };
