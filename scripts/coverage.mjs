// Runs a package's tests under c8, from the package's folder: `node ../../scripts/coverage.mjs
// mocha --config ../../.mocharc.cjs`. Every compiled module counts (`--all`), even those no test
// loads, except modules that hold only types: they compile to an empty `export {};` and have no
// line that could run. Fails below 90% of lines (KUBEKIT_COVERAGE_LINES overrides).
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

function typeOnlyModules(dir) {
  let entries = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => {
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '')
        .trim();
      return code === 'export {};' || code === '';
    })
    .map((file) => relative(process.cwd(), file));
}

const lines = process.env.KUBEKIT_COVERAGE_LINES ?? '90';
const args = [
  '--all',
  '--src=dist',
  '--include=dist/**/*.js',
  '--exclude=dist-test/**',
  ...typeOnlyModules('dist').map((file) => `--exclude=${file}`),
  '--reporter=text',
  '--reporter=text-summary',
  '--check-coverage',
  `--lines=${lines}`,
  ...process.argv.slice(2),
];
const result = spawnSync('c8', args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
