// Marks every workspace's `bin` targets executable after a build. npm does this when it links
// bins at install time, but in this repository the targets are build output that does not exist
// yet when `npm ci` runs.
import { chmodSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const group of ['packages', 'examples']) {
  const groupDir = join(root, group);
  if (!existsSync(groupDir)) continue;
  for (const workspace of readdirSync(groupDir)) {
    const manifest = join(groupDir, workspace, 'package.json');
    if (!existsSync(manifest)) continue;
    const bin = JSON.parse(readFileSync(manifest, 'utf8')).bin ?? {};
    for (const target of typeof bin === 'string' ? [bin] : Object.values(bin)) {
      const file = join(groupDir, workspace, target);
      if (existsSync(file)) chmodSync(file, 0o755);
    }
  }
}
