'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const fluxion = require('..');

const fixtures = path.join(__dirname, '..', 'crates', 'compiler', 'tests', 'fixtures');
const listing1 = fs.readFileSync(path.join(fixtures, 'listing1.js'), 'utf8');

describe('compile()', () => {
  test('prints the paper\'s Listing 2 for its Listing 1', () => {
    const { output, warnings } = fluxion.compile(listing1, { filename: 'listing1.js' });
    expect(warnings).toEqual([]);
    expect(output).toMatch(/^flx main & network\n>> handler \[res\]\n/);
    expect(output).toContain('flx handler\n-> reply [res]\n');
    expect(output).toContain('flx reply & network {count, template}\n>> null\n');
  });

  test('json gives the graph', () => {
    const g = fluxion.graph(listing1, { filename: 'listing1.js' });
    expect(g.fluxions.map((f) => f.name)).toEqual(['main', 'handler', 'reply']);
    const reply = g.fluxions.find((f) => f.name === 'reply');
    expect(reply.context).toEqual(['count', 'template']);
    expect(reply.loc).toEqual({ line: 10, col: 27 });
    expect(g.variables.find((v) => v.name === 'count').kind).toBe('scope');
    expect(g.rupturePoints.map((r) => [r.kind, r.callee])).toEqual([
      ['post', 'fs.readFile'],
      ['start', 'express().get'],
    ]);
  });

  test('dot is a Graphviz digraph with one edge per stream', () => {
    const { output } = fluxion.compile(listing1, { filename: 'listing1.js', emit: 'dot' });
    expect(output).toMatch(/^digraph "listing1.js" \{/);
    expect(output).toContain('"main" -> "handler" [label=">> [res]", style=bold]');
    expect(output).toContain('"handler" -> "reply" [label="-> [res]", style=dashed]');
  });

  test('a syntax error says file:line:col and shows the code', () => {
    const src = 'const a = 1;\nconst b = ;\n';
    let err;
    try {
      fluxion.compile(src, { filename: 'bad.js' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(fluxion.FluxionSyntaxError);
    expect(err).toBeInstanceOf(SyntaxError);
    expect([err.file, err.line, err.column]).toEqual(['bad.js', 2, 11]);
    expect(err.message).toMatch(/^bad\.js:2:11: /);
    expect(err.frame).toContain('> 2 | const b = ;');
  });

  test('eval makes its function opaque, with a located warning', () => {
    const src = [
      "const app = require('express')();",
      'let n = 0;',
      "app.get('/', function h(req, res) { eval('n++'); res.send('' + n); });",
    ].join('\n');
    const g = fluxion.graph(src, { filename: 'ev.js' });
    expect(g.warnings).toHaveLength(1);
    expect(g.warnings[0]).toMatchObject({ code: 'opaque-eval', loc: { line: 3, col: 37 } });
    expect(g.fluxions.find((f) => f.name === 'h').opaque).toBe(true);
  });

  test('with makes its function opaque', () => {
    const src = "var app = require('express')();\napp.get('/', function h(req, res) { with (req) { res.send(url); } });";
    const { warnings } = fluxion.compile(src, { filename: 'w.js' });
    expect(warnings.map((w) => [w.code, w.line])).toEqual([['opaque-with', 2]]);
  });

  test('bad arguments are clear errors', () => {
    expect(() => fluxion.compile(42)).toThrow(/source must be a string/);
    expect(() => fluxion.compile('', { emit: 'png' })).toThrow(/`emit`: unknown format "png"/);
  });
});

describe('project configuration', () => {
  const src = "const db = require('./db');\nlet last;\nexports.get = (id) => db.query(id, function got(err, row) { last = row; });\n";

  test('rupturePoints from options extend the callee list', () => {
    const without = fluxion.graph(src, { filename: 'a.js', config: {} });
    expect(without.fluxions.map((f) => f.name)).toEqual(['main']);
    const g = fluxion.graph(src, { filename: 'a.js', config: { rupturePoints: { post: ['db.query'] } } });
    expect(g.fluxions.map((f) => f.name)).toEqual(['main', 'got']);
  });

  test('package.json "fluxion" key is found from the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-cfg-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'x', fluxion: { rupturePoints: { post: ['db.*'] } } }));
    fs.mkdirSync(path.join(dir, 'lib'));
    const file = path.join(dir, 'lib', 'a.js');
    const local = src.replace("require('./db')", "require('db')");
    const g = fluxion.graph(local, { filename: file });
    expect(g.fluxions.map((f) => f.name)).toEqual(['main', 'got']);
  });

  test('a bad key is named', () => {
    expect(() => fluxion.compile(src, { config: { rupturePoint: {} } })).toThrow(/`rupturePoint`: unknown key/);
    expect(() => fluxion.compile(src, { config: { rupturePoints: { post: 'db.query' } } })).toThrow(
      /`rupturePoints.post`: must be an array/
    );
    expect(() => fluxion.compile(src, { config: { rupturePoints: { post: ['db query'] } } })).toThrow(
      /`rupturePoints.post\[0\]`: bad segment/
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-cfg-'));
    fs.writeFileSync(path.join(dir, 'fluxion.config.js'), 'module.exports = { rupturePoints: { later: [] } };');
    expect(() => fluxion.compile(src, { filename: path.join(dir, 'a.js') })).toThrow(
      /fluxion\.config\.js\): `rupturePoints.later`: unknown kind/
    );
  });
});
