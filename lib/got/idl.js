'use strict';
// `fluxion idl schema.pcc --lang ts|js|python --out DIR`: the thesis's rtypegen. The parser and
// the generators are Rust (crates/got-idl), shared with the Python client.
const fs = require('node:fs');
const path = require('node:path');
const native = require('../native');
const { translate } = require('./errors');

const LANGS = ['ts', 'js', 'python'];

/**
 * Generates code from a schema's text.
 * @param {string} source the schema (.pcc text)
 * @param {{ lang: 'ts' | 'js' | 'python', file?: string }} options `file` names the schema in
 *   errors (`file:line:col: message`) and gives the generated module its name
 * @returns {Array<{ name: string, text: string }>}
 */
function generate(source, { lang, file = 'schema.pcc' }) {
  try {
    return native.load().gotIdl(String(source), String(file), String(lang));
  } catch (e) {
    throw translate(e);
  }
}

/**
 * Reads `schemaPath`, writes the generated files into `outDir` (created if needed).
 * @returns {string[]} the paths written
 */
function generateFiles(schemaPath, { lang, outDir }) {
  const source = fs.readFileSync(schemaPath, 'utf8');
  const files = generate(source, { lang, file: schemaPath });
  fs.mkdirSync(outDir, { recursive: true });
  return files.map((f) => {
    const p = path.join(outDir, f.name);
    fs.writeFileSync(p, f.text);
    return p;
  });
}

const USAGE = 'usage: fluxion idl <schema.pcc> --lang ts|js|python [--out DIR]\n';

/** The `fluxion idl` command; returns the exit code (0 ok, 1 a schema error, 2 bad usage). */
function idlCommand(args, { out = process.stdout, err = process.stderr } = {}) {
  const { parseArgs } = require('node:util');
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { lang: { type: 'string' }, out: { type: 'string', default: '.' } },
    });
  } catch (e) {
    err.write(`fluxion idl: ${e.message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || !LANGS.includes(values.lang)) {
    err.write(
      `fluxion idl: ${positionals.length !== 1 ? 'expected exactly one schema file' : `--lang must be one of ${LANGS.join(', ')}`}\n${USAGE}`
    );
    return 2;
  }
  try {
    for (const p of generateFiles(positionals[0], { lang: values.lang, outDir: values.out })) {
      out.write(`wrote ${p}\n`);
    }
    return 0;
  } catch (e) {
    if (e && e.code === 'ENOENT') {
      err.write(`fluxion idl: cannot read ${positionals[0]}\n`);
      return 2;
    }
    if (e && e.code === 'GOT_IDL') {
      err.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

module.exports = { generate, generateFiles, idlCommand, LANGS };
