/* The dashboard page: receives the model and live figures over Server-Sent Events (/events),
 * draws the graph with render.js (dagre layout), and updates it in place. No framework. */
(function () {
  'use strict';
  var R = window.FluxionRender;
  var $ = function (s) { return document.querySelector(s); };
  var esc = R.escape;
  var state = { model: null, nodes: new Map(), rows: new Map(), events: new Map(), names: new Map(), routes: new Map() };

  function short(id) {
    var i = id.lastIndexOf('#');
    return i < 0 ? id : id.slice(i + 1).replace(/@\d+$/, '');
  }
  function fileOf(id) {
    var i = id.lastIndexOf('#');
    var f = i < 0 ? id : id.slice(0, i);
    return f.slice(f.lastIndexOf('/') + 1);
  }
  /** Full file paths in a placement text, as their base names. */
  function shorten(text) { return text.replace(/(?:\/[^\s/#]+)+\/([^\s/#]+#)/g, '$1'); }
  function groupName(g) { return fileOf(g) + ':' + short(g); }
  function thread(t) { return t === 0 ? 'main' : 't' + t; }
  function ms(x) { return x >= 10 ? x.toFixed(0) + ' ms' : x >= 1 ? x.toFixed(1) + ' ms' : (x * 1000).toFixed(0) + ' µs'; }
  function pct(x) { return x === null || x === undefined ? '–' : (100 * x).toFixed(0) + ' %'; }
  function clock(at) { return new Date(at).toTimeString().slice(0, 8); }

  /** Where a fluxion ran, as a class: its placement record and its executions. */
  function whereClass(f) {
    if (!f.total) return '';
    var onWorker = f.executions.some(function (e) { return e[0] !== 0; });
    if (f.where === 'group') return f.host ? 'at-group' : 'at-main';
    return onWorker ? 'at-workers' : 'at-main';
  }

  function drawModel(model) {
    state.model = model;
    state.names.clear();
    state.routes.clear();
    model.nodes.forEach(function (n) { state.names.set(n.id, n.name); if (n.route) state.routes.set(n.id, n.route); });
    var laid = R.layout(model, window.dagre, { live: true });
    $('#graph').innerHTML = model.nodes.length ? R.svg(laid, { live: true }) : '<p class="empty">No compiled module yet: the graph appears as the app loads its modules.</p>';
    state.nodes.clear();
    document.querySelectorAll('#graph .fx-node').forEach(function (g) { state.nodes.set(g.getAttribute('data-id'), g); });
  }

  function liveLine(f) {
    if (!f.total) return 'not run yet';
    var parts = f.executions.map(function (e) { return thread(e[0]) + ' ' + e[1]; });
    return parts.join(' · ') + ' · ' + ms(f.meanCpuMs);
  }

  function updateFluxions(list) {
    var body = $('#fluxions tbody');
    var seen = new Set();
    list.sort(function (a, b) { return b.total - a.total || (a.id < b.id ? -1 : 1); });
    list.forEach(function (f, i) {
      seen.add(f.id);
      var cls = whereClass(f);
      var g = state.nodes.get(f.id);
      if (g) {
        var live = g.querySelector('.fx-live');
        if (live) live.textContent = liveLine(f);
        g.classList.remove('at-main', 'at-workers', 'at-group');
        if (cls) g.classList.add(cls);
        var prev = Number(g.getAttribute('data-total') || 0);
        g.setAttribute('data-total', String(f.total));
        if (f.total > prev) { g.classList.add('flash'); setTimeout(function () { g.classList.remove('flash'); }, 250); }
      }
      var row = state.rows.get(f.id);
      if (!row) {
        row = document.createElement('tr');
        row.setAttribute('data-id', f.id);
        row.innerHTML = '<td class="mono name"></td><td class="mono route"></td><td class="placement"></td><td class="mono executions"></td>' +
          '<td class="num run"></td><td class="num cpu"></td><td class="num inbox"></td><td class="num msgs"></td>';
        row.querySelector('.name').textContent = state.names.get(f.id) || short(f.id);
        row.querySelector('.name').title = f.id;
        row.querySelector('.route').textContent = state.routes.get(f.id) || '';
        state.rows.set(f.id, row);
      }
      if (body.children[i] !== row) body.insertBefore(row, body.children[i] || null);
      var where = cls === 'at-group' ? 'context on ' + thread(f.host) : cls === 'at-workers' ? 'workers' : cls === 'at-main' ? (f.where === 'group' ? 'context on main' : 'main') : '';
      row.querySelector('.placement').innerHTML = (where ? '<span class="where ' + cls + '">' + esc(where) + '</span>' : '') + esc(shorten(f.placement || ''));
      var ex = row.querySelector('.executions');
      ex.setAttribute('data-total', String(f.total));
      ex.textContent = f.executions.length ? f.executions.map(function (e) { return thread(e[0]) + ': ' + e[1]; }).join('  ') : '–';
      row.querySelector('.run').textContent = f.total ? ms(f.meanRunMs) : '–';
      row.querySelector('.cpu').textContent = f.total ? ms(f.meanCpuMs) : '–';
      row.querySelector('.inbox').textContent = String(f.inbox);
      row.querySelector('.msgs').textContent = f.messagesIn + ' / ' + f.messagesOut;
    });
    state.rows.forEach(function (row, id) { if (!seen.has(id)) { row.remove(); state.rows.delete(id); } });
  }

  function updateThreads(threads) {
    $('#threads tbody').innerHTML = threads.map(function (t) {
      var u = t.utilization;
      var bar = u === null || u === undefined ? '' : '<span class="bar" style="width:' + Math.round(60 * Math.min(1, u)) + 'px"></span>';
      return '<tr data-thread="' + t.threadId + '"><td class="mono">' + (t.role === 'main' ? 'main (0)' : 'worker ' + t.slot + ' (t' + t.threadId + ')') + '</td>' +
        '<td class="busy">' + bar + pct(u) + '</td><td class="num">' + (t.delayMs === null || t.delayMs === undefined ? '–' : t.delayMs.toFixed(1) + ' ms') + '</td>' +
        '<td class="num">' + (t.inflight === undefined ? '' : t.inflight) + '</td><td class="mono">' + t.groups.map(function (g) { return esc(groupName(g)); }).join('<br>') + '</td></tr>';
    }).join('');
  }

  function updateEvents(events) {
    var ol = $('#timeline');
    events.forEach(function (e) {
      if (state.events.has(e.seq)) return;
      var li = document.createElement('li');
      li.className = e.kind;
      li.setAttribute('data-seq', String(e.seq));
      li.innerHTML = '<span class="t">' + clock(e.at) + '</span> ' + (e.kind === 'move'
        ? 'context <b class="mono">' + esc(groupName(e.group)) + '</b> moved ' + thread(e.from) + ' → ' + thread(e.to) + ' <i>(' + esc(e.by) + ')</i>'
        : 'worker ' + e.slot + ' replaced: t' + e.from + ' → t' + e.to + ' <i>(' + esc(e.why) + ')</i>');
      state.events.set(e.seq, e);
      ol.insertBefore(li, ol.firstChild);
    });
    if (!state.events.size) ol.innerHTML = '<li class="empty">nothing moved yet</li>';
    else { var empty = ol.querySelector('.empty'); if (empty) empty.remove(); }
    drawStrip();
  }

  /** The last minute, with a mark per event. */
  function drawStrip() {
    var w = 340, h = 26, now = Date.now(), span = 60000;
    var marks = [];
    state.events.forEach(function (e) {
      var x = w - ((now - e.at) / span) * w;
      if (x < 0) return;
      marks.push('<line x1="' + x.toFixed(1) + '" x2="' + x.toFixed(1) + '" y1="4" y2="' + (h - 8) + '" stroke="' + (e.kind === 'move' ? '#d9822b' : '#c0392b') + '" stroke-width="3"><title>' + esc(clock(e.at)) + '</title></line>');
    });
    $('#strip').innerHTML = '<svg width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + ' ' + h + '"><line x1="0" x2="' + w + '" y1="' + (h - 8) + '" y2="' + (h - 8) + '" stroke="#c9ced6"/>' +
      '<text x="0" y="' + (h - 0) + '" font-size="9" fill="#8a92a3">−60 s</text><text x="' + (w - 18) + '" y="' + h + '" font-size="9" fill="#8a92a3">now</text>' + marks.join('') + '</svg>';
  }

  function drawVersions(v) {
    if (!v.versions.length) { $('#versions').innerHTML = '<p class="empty">no context committed yet</p>'; return; }
    var g = new window.dagre.graphlib.Graph();
    g.setGraph({ rankdir: 'TB', nodesep: 10, ranksep: 22, marginx: 6, marginy: 6 });
    g.setDefaultEdgeLabel(function () { return {}; });
    var ids = new Set(v.versions.map(function (x) { return x.version; }));
    v.versions.forEach(function (x) { g.setNode(x.version, { width: 86, height: 22 }); });
    v.versions.forEach(function (x) { x.parents.forEach(function (p) { if (ids.has(p)) g.setEdge(p, x.version); }); });
    window.dagre.layout(g);
    var W = Math.ceil(g.graph().width), H = Math.ceil(g.graph().height);
    var out = ['<svg width="' + W + '" height="' + H + '" viewBox="0 0 ' + W + ' ' + H + '" font-family="ui-monospace,monospace" font-size="11">'];
    g.edges().forEach(function (e) {
      var pts = g.edge(e).points;
      out.push('<path fill="none" stroke="#9aa2b1" d="M' + pts.map(function (p) { return p.x.toFixed(1) + ',' + p.y.toFixed(1); }).join('L') + '"/>');
    });
    v.versions.forEach(function (x) {
      var n = g.node(x.version);
      var head = x.version === v.head;
      var fill = head ? '#e6f7ec' : x.collected ? '#f1f2f4' : '#fff';
      var stroke = head ? '#1f9d55' : x.collected ? '#c9ced6' : '#56607a';
      var label = x.version === 'ROOT' ? 'ROOT' : x.version.slice(0, 8);
      out.push('<g class="version' + (head ? ' head' : '') + (x.collected ? ' collected' : '') + '" data-version="' + esc(x.version) + '"><title>' + esc(x.version + (x.parents.length > 1 ? ' (merge)' : '') + (x.refs ? ', held by ' + x.refs : '') + (x.collected ? ', collected' : '')) + '</title>' +
        '<rect x="' + (n.x - 43).toFixed(1) + '" y="' + (n.y - 11).toFixed(1) + '" width="86" height="22" rx="' + (x.parents.length > 1 ? 11 : 3) + '" fill="' + fill + '" stroke="' + stroke + '"/>' +
        '<text x="' + n.x.toFixed(1) + '" y="' + (n.y + 4).toFixed(1) + '" text-anchor="middle" fill="' + (x.collected ? '#8a92a3' : '#1b1f27') + '">' + esc(label) + (head ? ' ◀' : '') + '</text></g>');
    });
    out.push('</svg>');
    $('#versions').innerHTML = out.join('') + '<p class="mono" style="margin:4px 0 0;color:#6b7385">head ' + esc(String(v.head).slice(0, 8)) + ' · ' + v.total + ' versions kept by the store' + (v.exact ? '' : ' (heads seen, not the store graph)') + '</p>';
  }

  function onLive(live) {
    updateFluxions(live.fluxions);
    updateThreads(live.threads);
    if (live.events) updateEvents(live.events);
    else drawStrip();
    if (live.versions) drawVersions(live.versions);
    var runs = live.fluxions.reduce(function (s, f) { return s + f.total; }, 0);
    $('#summary').textContent = live.fluxions.length + ' fluxions · ' + runs + ' runs · ' + (live.threads.length - 1) + ' workers · ' + clock(live.at);
    document.body.setAttribute('data-updated', String(live.at));
  }

  var token = new URLSearchParams(location.search).get('token');
  var source = new EventSource('events' + (token ? '?token=' + encodeURIComponent(token) : ''));
  source.addEventListener('open', function () { $('#status').textContent = 'live'; $('#status').className = 'status live'; });
  source.addEventListener('error', function () { $('#status').textContent = 'disconnected (retrying)'; $('#status').className = 'status down'; });
  source.addEventListener('model', function (e) { drawModel(JSON.parse(e.data)); state.rows.forEach(function (row, id) { row.querySelector('.name').textContent = state.names.get(id) || short(id); row.querySelector('.route').textContent = state.routes.get(id) || ''; }); });
  source.addEventListener('live', function (e) { onLive(JSON.parse(e.data)); });
  updateEvents([]);
})();
