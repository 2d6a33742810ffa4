import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'tape';
import { sourceFiles } from '../helpers/source-files.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The Message DB box of the diagram in docs/architecture.md: the lines between its two borders. */
async function messageDbBox(): Promise<string> {
  const text = await readFile(path.join(root, 'docs/architecture.md'), 'utf8');
  const box = /^ *\+-+ Message DB [^\n]*\n([\s\S]*?)^ *\+-+\+$/m.exec(text)?.[1];
  if (box === undefined) throw new Error('docs/architecture.md has no Message DB box in its diagram');
  return box;
}

/** The categories named in a box: each `<category>-*`. */
const categoriesIn = (box: string): string[] => [...box.matchAll(/([\w:]+)-\*/g)].map((match) => match[1]!).sort();

test('architecture diagram: the Message DB box names every category the code declares', async (t) => {
  const declared = new Set<string>();
  for (const file of await sourceFiles(path.join(root, 'src'))) {
    for (const match of (await readFile(file, 'utf8')).matchAll(/^export const \w*CATEGORY\w* = '([\w:]+)'/gm))
      declared.add(match[1]!);
  }
  t.ok(declared.size >= 10, `the categories are found (${declared.size})`);
  const box = await messageDbBox();
  t.deepEqual(
    categoriesIn(box),
    [...declared].sort(),
    'each is in the box as <category>-*, and the box names no other',
  );
  const dropped = box.replace('identityRoleChange-*', '');
  t.notDeepEqual(categoriesIn(dropped), [...declared].sort(), 'a box missing one is caught');
});
