import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'tape';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The README's layout: the fenced block after "## Layout". */
async function layoutBlock(): Promise<string> {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const section = readme.split(/^## Layout$/m)[1];
  const block = section?.split('```')[1];
  if (block === undefined) throw new Error('README.md has no "## Layout" section with a fenced block');
  return block;
}

test('README layout: names every top-level folder and file of src/, and every command in src/bin/', async (t) => {
  const layout = await layoutBlock();
  const top = await readdir(path.join(root, 'src'), { withFileTypes: true });
  for (const entry of top) {
    const named = entry.isDirectory() ? `${entry.name}/` : entry.name;
    if (!entry.isDirectory() && !entry.name.endsWith('.ts')) continue;
    t.ok(new RegExp(`(^|\\s)${named.replace('.', '\\.')}(\\s|$)`, 'm').test(layout), `src/${named} is in the layout`);
  }
  for (const file of await readdir(path.join(root, 'src/bin'))) {
    if (!file.endsWith('.ts')) continue;
    const command = file.replace(/\.ts$/, '');
    t.ok(new RegExp(`\\b${command}\\b`).test(layout.split(/^ {2}bin\//m)[1] ?? ''), `bin/${file} is named under bin/`);
  }
});
