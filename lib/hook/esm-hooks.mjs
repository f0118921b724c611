// Loader hooks for Node versions without `module.registerHooks` (Node 20): they run on Node's
// loader thread, compile ES modules there, and the compiled module carries its own graph.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { hook, wanted } = require('./register.js');

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!url.startsWith('file:') || result.format !== 'module') return result;
  const file = fileURLToPath(url);
  if (!wanted(file)) return result;
  const source = typeof result.source === 'string' ? result.source : Buffer.from(result.source).toString('utf8');
  return { ...result, source: hook(source, file, true) };
}
