// Makes every workspace's `bin` commands usable after a build (`npx kubekit-elect`, ...): marks the
// targets executable and links them into node_modules/.bin. npm does both at install time, but
// here the targets are build output that does not exist yet when `npm ci` runs, so npm skips them.
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binDir = join(root, 'node_modules', '.bin');

function exists(path) {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

for (const group of ['packages', 'examples']) {
  const groupDir = join(root, group);
  if (!existsSync(groupDir)) continue;
  for (const workspace of readdirSync(groupDir)) {
    const manifest = join(groupDir, workspace, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, bin = {} } = JSON.parse(readFileSync(manifest, 'utf8'));
    const entries = typeof bin === 'string' ? [[name.split('/').pop(), bin]] : Object.entries(bin);
    for (const [command, target] of entries) {
      const file = join(groupDir, workspace, target);
      if (!existsSync(file)) continue;
      chmodSync(file, 0o755);
      const link = join(binDir, command);
      if (exists(link)) continue;
      mkdirSync(binDir, { recursive: true });
      // Through node_modules/<name>, as npm links it, so the link works from any checkout path.
      symlinkSync(relative(binDir, join(root, 'node_modules', name, target)), link);
    }
  }
}
