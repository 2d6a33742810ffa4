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

test('README layout: names every top-level folder and file of src/', async (t) => {
  const layout = await layoutBlock();
  const top = await readdir(path.join(root, 'src'), { withFileTypes: true });
  for (const entry of top) {
    const named = entry.isDirectory() ? `${entry.name}/` : entry.name;
    if (!entry.isDirectory() && !entry.name.endsWith('.ts')) continue;
    t.ok(new RegExp(`(^|\\s)${named.replace('.', '\\.')}(\\s|$)`, 'm').test(layout), `src/${named} is in the layout`);
  }
});

/**
 * The bin/ entry of the layout: its line and the lines that carry it on (indented further, up to
 * the next entry).
 */
function binEntry(layout: string): string {
  const lines = layout.split('\n');
  const at = lines.findIndex((line) => /^ {2}bin\//.test(line));
  if (at === -1) return '';
  const rest = lines.slice(at + 1);
  const end = rest.findIndex((line) => !/^ {4,}\S/.test(line));
  return [lines[at]!, ...rest.slice(0, end === -1 ? rest.length : end)].join('\n');
}

/** The commands the bin/ entry lists: the names between "command-line tools:" and the first ";". */
function listedCommands(entry: string): string[] {
  const list = /command-line tools:([^;]*);/.exec(entry)?.[1] ?? '';
  return list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '')
    .sort();
}

test('README layout: the bin/ entry lists exactly the commands in src/bin/, and names cli.ts that runs them', async (t) => {
  const entry = binEntry(await layoutBlock());
  const commands = (await readdir(path.join(root, 'src/bin')))
    .filter((file) => file.endsWith('.ts') && file !== 'cli.ts')
    .map((file) => file.replace(/\.ts$/, ''))
    .sort();
  t.ok(commands.length >= 5, `src/bin has its commands (${commands.join(', ')})`);
  t.deepEqual(listedCommands(entry), commands, 'the list names each command in src/bin/, and nothing else');
  t.ok(/\bcli\.ts\b/.test(entry), 'and the entry names cli.ts');
  const without = entry.replace('seed, ', '');
  t.notDeepEqual(
    listedCommands(without),
    commands,
    'a list missing one is caught, though the name comes later in the layout',
  );
});
