import { readFileSync } from 'node:fs';
import { expect } from 'chai';

const packageDir = new URL('../../../', import.meta.url);

/** The part of an example file between its README markers. */
function quoted(file: string, marker: string): string {
  const source = readFileSync(new URL(`test/examples/${file}`, packageDir), 'utf8');
  const begin = `// --- README: ${marker} ---\n`;
  const start = source.indexOf(begin);
  const end = source.indexOf('// --- end of the README example ---');
  expect(start, `${file} has the README marker`).to.be.at.least(0);
  return source.slice(start + begin.length, end).trimEnd();
}

describe('README', () => {
  it('quotes the controller examples exactly as they are compiled and run', () => {
    const readme = readFileSync(new URL('README.md', packageDir), 'utf8');
    expect(readme).to.include(quoted('builder.example.test.ts', 'builder example'));
    expect(readme).to.include(quoted('dependency-injection.example.test.ts', 'dependency-injection example'));
  });
});
