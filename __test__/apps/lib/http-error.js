'use strict';
// An error class of the app's own, in a module without state: it crosses threads as itself.
class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

module.exports = { HttpError };
