'use strict';

/** A module that is not valid JavaScript: says where (file:line:col) and shows the code. */
class FluxionSyntaxError extends SyntaxError {
  constructor(info) {
    super(`${info.file}:${info.line}:${info.column}: ${info.message}\n${info.frame || ''}`);
    this.name = 'FluxionSyntaxError';
    this.code = 'FLUXION_SYNTAX';
    this.file = info.file;
    this.line = info.line;
    this.column = info.column;
    this.frame = info.frame;
    this.reason = info.message;
  }
}

/** A bad project configuration: names the key and says how to fix it. */
class FluxionConfigError extends Error {
  constructor(key, message, source) {
    super(`fluxion config${source ? ` (${source})` : ''}: \`${key}\`: ${message}`);
    this.name = 'FluxionConfigError';
    this.code = 'FLUXION_CONFIG';
    this.key = key;
    this.source = source;
  }
}

/** The compiler failed on its own (a bug): the module must load unmodified. */
class FluxionInternalError extends Error {
  constructor(message, file) {
    super(`fluxion: internal compiler error${file ? ` in ${file}` : ''}: ${message}`);
    this.name = 'FluxionInternalError';
    this.code = 'FLUXION_INTERNAL';
    this.file = file;
  }
}

module.exports = { FluxionSyntaxError, FluxionConfigError, FluxionInternalError };
