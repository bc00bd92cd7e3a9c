// Shared mocha configuration; every package's `npm test` runs mocha with `--config ../../.mocharc.cjs`
// from its own folder, over its compiled tests.
'use strict';
const path = require('node:path');

module.exports = {
  spec: ['dist-test/test/**/*.test.js'],
  require: [path.join(__dirname, 'scripts', 'mocha-hooks.mjs')],
  forbidOnly: Boolean(process.env.CI),
  timeout: 20000,
  reporter: 'spec',
};
