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

/**
 * A bad setting or project configuration: names the key and says how to fix it, in one line
 * (a bad setting stops the process with this line alone: lib/config.js, register.js).
 */
class FluxionConfigError extends Error {
  /**
   * @param {string} key the variable, option or config key, as the user wrote it
   * @param {string} message what it must be
   * @param {string} [source] where it came from: 'environment', 'command line', a file
   * @param {{ allowed?: string, given?: string }} [detail] for settings: accepted values, the value given
   */
  constructor(key, message, source, detail = {}) {
    super(`fluxion config${source ? ` (${source})` : ''}: \`${key}\`: ${message}`);
    this.name = 'FluxionConfigError';
    this.code = 'FLUXION_CONFIG';
    this.key = key;
    this.source = source;
    if (detail.allowed !== undefined) this.allowed = detail.allowed;
    if (detail.given !== undefined) this.given = detail.given;
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
