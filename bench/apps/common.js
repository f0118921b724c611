// Shared by the bench apps: GET /__stats gives fluxion's per-thread figures. The harness sets
// FLUXION_MODULE (the repository) only when the app runs under fluxion.
exports.statsRoute = function statsRoute(app) {
  app.get('/__stats', (req, res) => {
    const mod = process.env.FLUXION_MODULE;
    res.json(mod ? require(mod).stats() : []);
  });
};
