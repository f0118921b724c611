'use strict';
// Hand-written SVG for bench/run.js: throughput of each mode relative to one thread (grouped
// bars per scenario), and RSS per worker against a bare worker_thread.

const COLORS = { single: '#8c8c8c', cluster: '#4e79a7', fluxion: '#e15759', fluxionN: '#f28e2b' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function renderChart(result, modes) {
  const W = 860;
  const scs = result.scenarios;
  const top = 60;
  const plotH = 260;
  const left = 60;
  const groupW = scs.length ? (W - left - 30) / scs.length : 1;
  const barW = Math.min(44, (groupW - 30) / modes.length);
  const ratios = scs.map((sc) => modes.map((m) => sc.summary[m.key].rps / sc.summary.single.rps));
  const maxR = Math.max(2, ...ratios.flat().filter(Number.isFinite)) * 1.1;
  const y = (r) => top + plotH - (r / maxR) * plotH;
  const rssH = result.rss ? 200 : 0;
  const H = top + plotH + 90 + rssH;
  const o = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  o.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">fluxion bench: throughput relative to the app on one thread (${esc(result.machine.cores)} cores${result.quick ? ', quick' : ''})</text>`);
  // legend
  let lx = left;
  for (const m of modes) {
    o.push(`<rect x="${lx}" y="34" width="12" height="12" fill="${COLORS[m.key] || '#999'}"/>`);
    o.push(`<text x="${lx + 16}" y="44">${esc(m.label)}</text>`);
    lx += 22 + m.label.length * 6.6;
  }
  // grid
  for (let r = 0; r <= maxR; r += 0.5) {
    o.push(`<line x1="${left}" x2="${W - 20}" y1="${y(r)}" y2="${y(r)}" stroke="${r === 1 ? '#333' : '#e3e3e3'}"${r === 1 ? ' stroke-dasharray="4 3"' : ''}/>`);
    o.push(`<text x="${left - 6}" y="${y(r) + 4}" text-anchor="end">${r.toFixed(1)}x</text>`);
  }
  scs.forEach((sc, i) => {
    const gx = left + i * groupW + (groupW - barW * modes.length) / 2;
    modes.forEach((m, j) => {
      const r = ratios[i][j];
      if (!Number.isFinite(r)) return;
      const x = gx + j * barW;
      o.push(`<rect x="${x + 2}" y="${y(r)}" width="${barW - 4}" height="${y(0) - y(r)}" fill="${COLORS[m.key] || '#999'}"><title>${esc(m.label)}: ${sc.summary[m.key].rps.toFixed(0)} req/s</title></rect>`);
      o.push(`<text x="${x + barW / 2}" y="${y(r) - 4}" text-anchor="middle" font-size="11">${r.toFixed(2)}</text>`);
    });
    if (sc.target && sc.target.single) {
      const x1 = gx - 4;
      const x2 = gx + barW * modes.length + 4;
      o.push(`<line x1="${x1}" x2="${x2}" y1="${y(sc.target.single)}" y2="${y(sc.target.single)}" stroke="#e15759" stroke-width="1.5" stroke-dasharray="2 2"/>`);
      o.push(`<text x="${x2}" y="${y(sc.target.single) - 3}" text-anchor="end" font-size="10" fill="#e15759">target ${sc.target.single}x</text>`);
    }
    const cx = left + i * groupW + groupW / 2;
    o.push(`<text x="${cx}" y="${top + plotH + 18}" text-anchor="middle" font-weight="bold">${sc.n}. ${esc(sc.key)}</text>`);
    o.push(`<text x="${cx}" y="${top + plotH + 34}" text-anchor="middle" font-size="10">${esc(sc.title.slice(0, 46))}</text>`);
    o.push(`<text x="${cx}" y="${top + plotH + 48}" text-anchor="middle" font-size="10">one thread: ${sc.summary.single.rps.toFixed(0)} req/s</text>`);
    if (sc.key === 'counter') {
      const c = modes.map((m) => `${m.key}: ${sc.summary[m.key].counterExact ? 'exact' : 'WRONG'}`).join(', ');
      o.push(`<text x="${cx}" y="${top + plotH + 62}" text-anchor="middle" font-size="10">counter ${esc(c)}</text>`);
    }
  });
  if (result.rss) {
    const r = result.rss;
    const base = top + plotH + 90;
    o.push(`<text x="${left}" y="${base + 10}" font-size="14" font-weight="bold">RSS cost per worker (MB, slope over worker counts ${Object.keys(r.fluxionMB).join(', ')})</text>`);
    const items = [
      ['bare worker_thread', r.bareWorkerMB, '#8c8c8c'],
      ['worker requiring express', r.expressWorkerMB, '#4e79a7'],
      ['fluxion worker', r.fluxionPerWorkerMB, '#e15759'],
    ];
    const maxMB = Math.max(30, ...items.map((x) => x[1]).filter(Number.isFinite), r.bareWorkerMB + 15) * 1.1;
    const sx = (mb) => 220 + (mb / maxMB) * (W - 300);
    items.forEach(([label, mb, color], k) => {
      const yy = base + 30 + k * 34;
      o.push(`<text x="210" y="${yy + 16}" text-anchor="end">${esc(label)}</text>`);
      if (Number.isFinite(mb)) {
        o.push(`<rect x="220" y="${yy}" width="${Math.max(0, sx(mb) - 220)}" height="22" fill="${color}"/>`);
        o.push(`<text x="${sx(mb) + 6}" y="${yy + 16}">${mb.toFixed(1)} MB</text>`);
      }
    });
    const tx = sx(r.bareWorkerMB + 15);
    o.push(`<line x1="${tx}" x2="${tx}" y1="${base + 24}" y2="${base + 132}" stroke="#e15759" stroke-dasharray="3 3"/>`);
    o.push(`<text x="${tx}" y="${base + 146}" text-anchor="middle" font-size="10" fill="#e15759">target: bare + 15 MB</text>`);
  }
  o.push('</svg>');
  return o.join('\n') + '\n';
}

module.exports = { renderChart };
