import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'tape';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FOLDERS = ['src', 'public', 'test', 'migrations', 'bench', 'scripts', 'docs', '.ci'];
const TEXT = /\.(ts|js|mjs|json|pug|css|svg|md|sql|sh|yml|yaml)$|^run$|^Dockerfile$/;
// A line that begins a side of an unresolved merge: Git writes seven of the sign and a space.
const MARKER = /^(<{7}|>{7}) /m;

async function textFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() && TEXT.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

test('no file holds a merge-conflict marker (site.css once kept three, and browsers dropped the rules after them)', async (t) => {
  const files = [
    ...(await Promise.all(FOLDERS.map((folder) => textFiles(path.join(root, folder))))).flat(),
    ...['README.md', 'package.json', 'Dockerfile', 'docker-compose.yml'].map((name) => path.join(root, name)),
  ];
  t.ok(files.length > 300, `the scan reads the tree (${files.length} files)`);
  const marked: string[] = [];
  for (const file of files) if (MARKER.test(await readFile(file, 'utf8'))) marked.push(path.relative(root, file));
  t.deepEqual(marked, [], 'no unresolved merge anywhere');
  t.ok(MARKER.test(['a {', `${'<'.repeat(7)} HEAD`, '}'].join('\n')), 'and the scan knows a marker when it sees one');
});
