// The app of the fault test and the soak uses fluxion's GoT dataframes from its handlers: they
// go through the process-wide store, which every thread shares, so handlers using the package
// may run on any thread (fluxion's other calls, workers() or terminateWorker(), are made through
// require() at run time in app.js, which keeps those handlers on the main thread).
module.exports = { statelessModules: ['fluxion'] };
