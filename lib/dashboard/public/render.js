/* The fluxion graph as SVG: laid out by dagre (a maintained layered-graph layout library), in
 * the browser (the dashboard) and in Node (`fluxion compile --emit svg`) alike, from the model
 * of lib/dashboard/model.js. Plain script, no build step: a global `FluxionRender` in the
 * browser, `module.exports` in Node. */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.FluxionRender = factory();
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  var CHAR = 7.2; // width of a character of 12px monospace, roughly
  var LIVE_CHARS = 30; // room kept for the live line of a fluxion

  function escape(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function lines(n, live) {
    var out = [n.label];
    if (n.kind === 'main' || n.kind === 'fluxion' || n.kind === 'runtime') out.push(n.route || (n.kind === 'main' ? 'module top level' : n.kind === 'runtime' ? 'run-time compiled' : 'line ' + (n.line || '?')));
    if (live && (n.kind === 'fluxion' || n.kind === 'runtime' || n.kind === 'main')) out.push('');
    return out;
  }

  function size(n, live) {
    var ls = lines(n, live);
    var chars = 0;
    for (var i = 0; i < ls.length; i++) chars = Math.max(chars, ls[i].length);
    if (live && ls.length === 3) chars = Math.max(chars, LIVE_CHARS);
    var isVar = n.kind === 'scope' || n.kind === 'share';
    return { width: Math.ceil(chars * CHAR) + (isVar ? 24 : 20), height: isVar ? 26 : 10 + 16 * ls.length };
  }

  /**
   * Positions for every node, edge and cluster of the model.
   * @param {{nodes: any[], edges: any[], clusters: any[]}} model
   * @param {any} dagre the dagre module (`require('@dagrejs/dagre')`, or the browser's global)
   * @param {{ live?: boolean, rankdir?: string }} [opts] live: keep a line in each fluxion for figures
   */
  function layout(model, dagre, opts) {
    opts = opts || {};
    var g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
    g.setGraph({ rankdir: opts.rankdir || 'LR', nodesep: 18, ranksep: 56, edgesep: 10, marginx: 16, marginy: 16 });
    g.setDefaultEdgeLabel(function () {
      return {};
    });
    var i;
    for (i = 0; i < model.clusters.length; i++) g.setNode(model.clusters[i].id, { label: model.clusters[i].label, clusterLabelPos: 'top' });
    for (i = 0; i < model.nodes.length; i++) {
      var n = model.nodes[i];
      var s = size(n, opts.live);
      g.setNode(n.id, { width: s.width, height: s.height });
      if (n.cluster) g.setParent(n.id, n.cluster);
    }
    for (i = 0; i < model.edges.length; i++) {
      var e = model.edges[i];
      var label = e.label || '';
      g.setEdge(e.from, e.to, {
        // Variables hang off their owners: they do not push the flow's ranks apart.
        minlen: e.kind === 'owns' || e.kind === 'shares' ? 1 : 1,
        weight: e.kind === 'start' || e.kind === 'post' ? 2 : 1,
        width: label ? label.length * 6.5 : 0,
        height: label ? 14 : 0,
        labelpos: 'c',
      }, 'e' + i);
    }
    dagre.layout(g);
    var out = { width: g.graph().width, height: g.graph().height, nodes: [], edges: [], clusters: [] };
    for (i = 0; i < model.clusters.length; i++) {
      var c = g.node(model.clusters[i].id);
      if (c) out.clusters.push({ id: model.clusters[i].id, label: model.clusters[i].label, x: c.x, y: c.y, width: c.width, height: c.height });
    }
    for (i = 0; i < model.nodes.length; i++) {
      var p = g.node(model.nodes[i].id);
      out.nodes.push(Object.assign({}, model.nodes[i], { x: p.x, y: p.y, width: p.width, height: p.height }));
    }
    for (i = 0; i < model.edges.length; i++) {
      var ed = g.edge(model.edges[i].from, model.edges[i].to, 'e' + i);
      out.edges.push(Object.assign({}, model.edges[i], { points: ed.points, lx: ed.x, ly: ed.y }));
    }
    return out;
  }

  var STYLE =
    '.fx-graph{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#fff}' +
    '.fx-cluster rect{fill:#f7f8fa;stroke:#c9ced6;stroke-dasharray:4 3}.fx-cluster text{fill:#58606e;font-size:11px}' +
    '.fx-node rect{fill:#fff;stroke:#56607a;stroke-width:1.2}.fx-node .fx-name{font-weight:bold;fill:#1b1f27}' +
    '.fx-node .fx-sub{fill:#5a6272}.fx-node .fx-live{fill:#0b6b3a}' +
    '.fx-node.main rect{fill:#eef1f6}.fx-node.scope rect{fill:#fff4e0;stroke:#c98a1b}.fx-node.share rect{fill:#fde8e8;stroke:#c0392b}' +
    '.fx-node.runtime rect{stroke-dasharray:3 2}' +
    '.fx-node.at-main rect{fill:#e8f0ff;stroke:#3a6fd8}.fx-node.at-workers rect{fill:#e6f7ec;stroke:#1f9d55;stroke-width:2}' +
    '.fx-node.at-group rect{fill:#fff1de;stroke:#d9822b;stroke-width:2}' +
    '.fx-edge{fill:none;stroke:#7a8396;stroke-width:1.3}.fx-edge.post{stroke-dasharray:6 4}' +
    '.fx-edge.owns,.fx-edge.shares{stroke:#c98a1b;stroke-dasharray:2 3}.fx-edge.shares{stroke:#c0392b}' +
    '.fx-elabel{fill:#6b7385;font-size:10px;paint-order:stroke;stroke:#fff;stroke-width:3px}';

  function pathOf(points) {
    var d = 'M' + points[0].x.toFixed(1) + ',' + points[0].y.toFixed(1);
    for (var i = 1; i < points.length; i++) d += 'L' + points[i].x.toFixed(1) + ',' + points[i].y.toFixed(1);
    return d;
  }

  /**
   * The laid-out graph as an SVG document (a string). Nodes carry `data-id` (the fluxion id of
   * stats()), so the dashboard can attach live figures to them.
   * @param {ReturnType<typeof layout>} laid
   * @param {{ title?: string, live?: boolean }} [opts]
   */
  function svg(laid, opts) {
    opts = opts || {};
    var w = Math.ceil(laid.width);
    var h = Math.ceil(laid.height);
    var out = [];
    out.push('<svg xmlns="http://www.w3.org/2000/svg" class="fx-graph" width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + ' ' + h + '">');
    if (opts.title) out.push('<title>' + escape(opts.title) + '</title>');
    out.push('<defs><marker id="fx-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#7a8396"/></marker></defs>');
    out.push('<style>' + STYLE + '</style>');
    var i;
    for (i = 0; i < laid.clusters.length; i++) {
      var c = laid.clusters[i];
      out.push('<g class="fx-cluster" data-id="' + escape(c.id) + '"><rect x="' + (c.x - c.width / 2).toFixed(1) + '" y="' + (c.y - c.height / 2).toFixed(1) + '" width="' + c.width.toFixed(1) + '" height="' + c.height.toFixed(1) + '" rx="6"/>' +
        '<text x="' + (c.x - c.width / 2 + 6).toFixed(1) + '" y="' + (c.y - c.height / 2 + 12).toFixed(1) + '">' + escape(c.label) + '</text></g>');
    }
    for (i = 0; i < laid.edges.length; i++) {
      var e = laid.edges[i];
      var arrow = e.kind === 'start' || e.kind === 'post' ? ' marker-end="url(#fx-arrow)"' : '';
      out.push('<path class="fx-edge ' + e.kind + '" data-from="' + escape(e.from) + '" data-to="' + escape(e.to) + '" d="' + pathOf(e.points) + '"' + arrow + '/>');
      if (e.label) out.push('<text class="fx-elabel" x="' + e.lx.toFixed(1) + '" y="' + (e.ly + 3).toFixed(1) + '" text-anchor="middle">' + escape(e.label) + '</text>');
    }
    for (i = 0; i < laid.nodes.length; i++) {
      var n = laid.nodes[i];
      var x = n.x - n.width / 2;
      var y = n.y - n.height / 2;
      var isVar = n.kind === 'scope' || n.kind === 'share';
      var parts = ['<g class="fx-node ' + n.kind + '" data-id="' + escape(n.id) + '" data-name="' + escape(n.name) + '"' + (n.route ? ' data-route="' + escape(n.route) + '"' : '') + ' transform="translate(' + x.toFixed(1) + ',' + y.toFixed(1) + ')">'];
      parts.push('<title>' + escape(n.id) + '</title>');
      parts.push('<rect width="' + n.width.toFixed(1) + '" height="' + n.height.toFixed(1) + '" rx="' + (isVar ? 13 : 5) + '"/>');
      var ls = lines(n, opts.live);
      if (isVar) {
        parts.push('<text class="fx-name" x="' + (n.width / 2).toFixed(1) + '" y="17" text-anchor="middle">' + escape(ls[0]) + '</text>');
      } else {
        parts.push('<text class="fx-name" x="10" y="19">' + escape(ls[0]) + '</text>');
        parts.push('<text class="fx-sub" x="10" y="35">' + escape(ls[1]) + '</text>');
        if (ls.length > 2) parts.push('<text class="fx-live" x="10" y="51"></text>');
      }
      parts.push('</g>');
      out.push(parts.join(''));
    }
    out.push('</svg>');
    return out.join('\n');
  }

  return { layout: layout, svg: svg, escape: escape, STYLE: STYLE };
});
