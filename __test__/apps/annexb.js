// Node runs this (an Annex B function declaration in an if), swc's parser does not.
if (true) function helper() { return 'annex b'; }
module.exports = helper;
