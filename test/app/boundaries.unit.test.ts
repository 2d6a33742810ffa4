import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'tape';
import { COMMON_VIEWS_DIR } from '../../src/web/create-app.ts';
import { sourceFiles } from '../helpers/source-files.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const appDir = path.join(root, 'src/app');

/**
 * A specifier as a path from the repository root when it is relative, as TypeScript resolves it:
 * `../system.js` names src/system.ts as surely as `../system.ts` does (NodeNext, and tsx, map it).
 */
function resolved(file: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  return path.relative(root, path.resolve(path.dirname(file), specifier)).replace(/\.(m?)js$/, '.$1ts');
}

/** Every module a file imports (dynamic imports too), relative ones resolved to paths from the repository root. */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((match) => match[1]!);
  return specifiers.map((specifier) => resolved(file, specifier));
}

test('boundaries: an import is placed by the file it names, however its extension is spelt', (t) => {
  const importer = path.join(root, 'src/db/anything.ts');
  t.equal(resolved(importer, '../system.ts'), 'src/system.ts');
  t.equal(resolved(importer, '../system.js'), 'src/system.ts', 'a .js specifier names the .ts file');
  t.equal(resolved(importer, '../app/x.mjs'), 'src/app/x.mts');
  t.equal(resolved(importer, 'pg'), 'pg', 'a package stays as it is');
  t.end();
});

test('boundaries: slices reach the message store through its index and web plumbing through src/web', async (t) => {
  const offences: string[] = [];
  for (const file of await sourceFiles(appDir)) {
    const where = path.relative(root, file);
    for (const imported of await importsOf(file)) {
      if (imported.startsWith('src/message-store/') && imported !== 'src/message-store/index.ts') {
        offences.push(`${where} imports ${imported} (use src/message-store/index.ts)`);
      }
      if (imported === 'uuid' || imported.startsWith('uuid/'))
        offences.push(`${where} imports the uuid package (use the contract's schema)`);
    }
  }
  t.deepEqual(offences, [], 'no slice reaches inside the message store or checks UUIDs its own way');
  t.notOk(existsSync(path.join(appDir, 'express')), 'no shared HTTP plumbing under src/app');
  t.notOk(existsSync(path.join(appDir, 'views')), 'no common views under src/app');
  t.equal(
    path.relative(root, COMMON_VIEWS_DIR),
    path.join('src', 'web', 'views'),
    'the common views live in src/web/views',
  );
  t.ok(existsSync(path.join(COMMON_VIEWS_DIR, 'layout.pug')), 'with the layout in them');
});

test('boundaries: nothing in the web layer and config is exported without being used elsewhere', async (t) => {
  const owned = (
    await Promise.all(['src/app', 'src/web', 'src/config'].map((dir) => sourceFiles(path.join(root, dir))))
  ).flat();
  const everywhere = (
    await Promise.all(['src', 'test', 'bench', 'migrations'].map((dir) => sourceFiles(path.join(root, dir))))
  ).flat();
  const texts = new Map(
    await Promise.all(everywhere.map(async (file) => [file, await readFile(file, 'utf8')] as const)),
  );
  const dead: string[] = [];
  for (const file of owned) {
    const declared = [
      ...(texts.get(file) ?? '').matchAll(/^export (?:async )?(?:const|function|class|interface|type) (\w+)/gm),
    ].map((m) => m[1]!);
    for (const name of declared) {
      const used = new RegExp(`\\b${name}\\b`);
      if (![...texts].some(([other, text]) => other !== file && used.test(text)))
        dead.push(`${path.relative(root, file)}: ${name}`);
    }
  }
  t.deepEqual(dead, [], 'no dead exports');
});

/**
 * Every top-level folder and file of src, in layers from the bottom up: a module imports only from
 * its own layer and those below it. A contract that two layers share belongs in src/contracts,
 * not in the slice that writes it. An entry names a folder or a file (a file's own entry wins over
 * its folder's), and every top-level entry of src must be placed, so a new folder is placed too.
 */
const LAYERS: ReadonlyArray<{ readonly name: string; readonly entries: readonly string[] }> = [
  {
    // What src/contracts leans on (see CONTRACTS_MAY_IMPORT below), and what they lean on in turn:
    // none of it may import a contract or anything above one.
    name: 'beneath the contracts',
    entries: [
      'message-store',
      'config/defaults.ts',
      'personal-data',
      'video-store',
      'account-links',
      'logger.ts',
      'plural.ts',
      'templates',
    ],
  },
  {
    name: 'below the web slices',
    entries: [
      'contracts',
      'subscription',
      'message-queries',
      'aggregators',
      'components',
      'as-of',
      'audit',
      'exports',
      'rebuild',
      'config',
      'db',
      'demo',
      'web',
      'media-tools.ts',
      'parent-watch.ts',
    ],
  },
  { name: 'the web slices', entries: ['app'] },
  // What starts the program and puts the parts together: nothing below may import these.
  { name: 'the entry points', entries: ['bin', 'main.ts', 'system.ts'] },
];

/** The layer (index into LAYERS) of a path from the repository root; undefined outside src or when unplaced. */
function layerOf(where: string): number | undefined {
  if (!where.startsWith('src/')) return undefined;
  const inSrc = where.slice('src/'.length);
  let found: { layer: number; length: number } | undefined;
  LAYERS.forEach(({ entries }, layer) => {
    for (const entry of entries) {
      const covers = entry.endsWith('.ts') ? inSrc === entry : inSrc.startsWith(`${entry}/`);
      if (covers && (found === undefined || entry.length > found.length)) found = { layer, length: entry.length };
    }
  });
  return found?.layer;
}

/** Each import that reaches a higher layer than its importer's, as "file (layer) imports file (layer)". */
function upwardImports(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const offences: string[] = [];
  for (const [file, imports] of graph) {
    const own = layerOf(file);
    if (own === undefined) continue;
    for (const imported of imports) {
      const theirs = layerOf(imported);
      if (theirs !== undefined && theirs > own)
        offences.push(`${file} (${LAYERS[own]!.name}) imports ${imported} (${LAYERS[theirs]!.name})`);
    }
  }
  return offences;
}

test('boundaries: every top-level folder and file of src has its place in the layers', async (t) => {
  const top = (await readdir(path.join(root, 'src'), { withFileTypes: true }))
    .filter((entry) => entry.isDirectory() || entry.name.endsWith('.ts'))
    .map((entry) => (entry.isDirectory() ? `src/${entry.name}/` : `src/${entry.name}`));
  const unplaced = top.filter((entry) => layerOf(entry.endsWith('/') ? `${entry}x.ts` : entry) === undefined);
  t.deepEqual(unplaced, [], 'each is in LAYERS');
  const listed = LAYERS.flatMap(({ entries }) => entries).filter((entry) => !existsSync(path.join(root, 'src', entry)));
  t.deepEqual(listed, [], 'and LAYERS names nothing that is not there');
});

test('boundaries: nothing imports upward: below the web slices nothing imports src/app, and nothing imports the entry points', async (t) => {
  const graph = new Map<string, string[]>();
  for (const file of await sourceFiles(path.join(root, 'src'))) {
    graph.set(
      path.relative(root, file),
      (await importsOf(file)).filter((imported) => imported.startsWith('src/')),
    );
  }
  t.deepEqual(upwardImports(graph), [], 'each import stays in its layer or goes down');
  const made = upwardImports(
    new Map([
      ['src/personal-data/seal.ts', ['src/app/admin/control-characters.ts', 'src/message-store/errors.ts']],
      ['src/config/defaults.ts', ['src/config/env.ts']],
      ['src/config/env.ts', ['src/audit/key.ts']],
      ['src/web/access.ts', ['src/system.ts']],
      ['src/app/index.ts', ['src/web/access.ts']],
    ]),
  );
  t.deepEqual(
    made,
    [
      'src/personal-data/seal.ts (beneath the contracts) imports src/app/admin/control-characters.ts (the web slices)',
      'src/config/defaults.ts (beneath the contracts) imports src/config/env.ts (below the web slices)',
      'src/web/access.ts (below the web slices) imports src/system.ts (the entry points)',
    ],
    'and the check finds an import that goes up',
  );
});

/**
 * What a contract may lean on: the store's types and helpers (through its index), schemas, the
 * sealing of personal fields, the video store's URI rule, the account links' purposes and
 * placeholder (a leaf: it imports only node:crypto), and other contracts. Anything else
 * would put a contract above a layer that reads it, and bring back a cycle through the store.
 */
const CONTRACTS_MAY_IMPORT = [
  'src/message-store/index.ts',
  'src/personal-data/seal.ts',
  'src/video-store/keys.ts',
  'src/account-links/index.ts',
  'zod',
  'uuid',
];

test('boundaries: message contracts import nothing above the store', async (t) => {
  const offences: string[] = [];
  for (const file of await sourceFiles(path.join(root, 'src/contracts'))) {
    for (const imported of await importsOf(file)) {
      if (!imported.startsWith('src/contracts/') && !CONTRACTS_MAY_IMPORT.includes(imported))
        offences.push(`${path.relative(root, file)} imports ${imported}`);
    }
  }
  t.deepEqual(offences, [], `src/contracts imports only other contracts and ${CONTRACTS_MAY_IMPORT.join(', ')}`);
});

/** Each cycle in the graph, as the chain of files that closes it (one per back edge a depth-first walk meets). */
function cyclesIn(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const cycles: string[] = [];
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (file: string): void => {
    const at = onPath.indexOf(file);
    if (at !== -1) {
      cycles.push([...onPath.slice(at), file].join(' -> '));
      return;
    }
    if (done.has(file)) return;
    onPath.push(file);
    for (const next of graph.get(file) ?? []) visit(next);
    onPath.pop();
    done.add(file);
  };
  for (const file of [...graph.keys()].sort()) visit(file);
  return cycles;
}

test('boundaries: no import cycle in src', async (t) => {
  const files = await sourceFiles(path.join(root, 'src'));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const imports = (await importsOf(file)).filter((imported) => imported.startsWith('src/'));
    graph.set(path.relative(root, file), imports);
  }
  t.ok(graph.size > 100, `the walk saw the whole tree (${graph.size} files)`);
  t.deepEqual(cyclesIn(graph), [], 'no module imports itself through others (type-only imports count too)');
  const made = cyclesIn(
    new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]),
  );
  t.deepEqual(made, ['a.ts -> b.ts -> c.ts -> a.ts'], 'and the walk does find a cycle when there is one');
});

test('boundaries: an admin section imports no other section; what two share lives in src/app/admin/shared', async (t) => {
  const adminDir = path.join(appDir, 'admin');
  // Folders under admin/ that are not sections: the shared helpers and the common layout.
  const notSections = new Set(['shared', 'templates']);
  const sections = (await readdir(adminDir, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory() && !notSections.has(entry.name))
    .map((entry) => entry.name);
  /** The folder under src/app/admin a path lies in; undefined for admin's own files (section.ts, contract.ts…) and outside. */
  const folderOf = (where: string): string | undefined => {
    const parts = path.relative(path.join('src', 'app', 'admin'), where).split(path.sep);
    return parts.length >= 2 && parts[0] !== '..' ? parts[0] : undefined;
  };
  const offences: string[] = [];
  for (const file of await sourceFiles(adminDir)) {
    const where = path.relative(root, file);
    const own = folderOf(where);
    if (own === undefined) continue;
    for (const imported of await importsOf(file)) {
      const other = folderOf(imported);
      if (other === undefined || other === own) continue;
      // A section may use shared helpers; shared helpers may use nothing of a section's.
      if (other === 'shared' && own !== 'shared') continue;
      if (sections.includes(other))
        offences.push(`${where} imports ${imported} (move what both use to src/app/admin/shared)`);
    }
  }
  t.ok(sections.length >= 10, `the sections are found (${sections.join(', ')})`);
  t.deepEqual(offences, [], 'no admin section reaches into another');
});

/**
 * Facts a reader should find stated in one place, with the file that states them: a second
 * declaration is a copy that can drift (as the poll interval did between env.ts and the engine).
 */
const DECLARED_ONCE: Readonly<Record<string, string>> = {
  ADMIN_ROLE: 'src/contracts/identity.ts',
  UsageError: 'src/bin/cli.ts',
  CLI_OPERATOR_NAMESPACE: 'src/bin/cli.ts',
  DEAD_LETTER_CATEGORY: 'src/subscription/component-processor.ts',
  MAX_TIMER_MS: 'src/config/defaults.ts',
  DEFAULTS: 'src/config/defaults.ts',
  messageHref: 'src/app/admin/shared/format.ts',
  formBody: 'src/app/admin/shared/form-body.ts',
};

/** Files (paths from the root) that declare `name` as a const, class, function or enum. */
function declaring(texts: ReadonlyMap<string, string>, name: string): string[] {
  const declaration = new RegExp(`\\b(?:const|let|class|function|enum)\\s+${name}\\b`);
  return [...texts]
    .filter(([, text]) => declaration.test(text))
    .map(([file]) => file)
    .sort();
}

test("boundaries: the admin role, the CLI usage error and operator, shared bounds and the admin pages' shared helpers are declared once", async (t) => {
  const texts = new Map(
    await Promise.all(
      (await sourceFiles(path.join(root, 'src'))).map(
        async (file) => [path.relative(root, file), await readFile(file, 'utf8')] as const,
      ),
    ),
  );
  for (const [name, home] of Object.entries(DECLARED_ONCE))
    t.deepEqual(declaring(texts, name), [home], `${name} is declared in ${home} alone`);
  // The values themselves, under whatever name a copy might take.
  const stating = (pattern: RegExp) =>
    [...texts]
      .filter(([, text]) => pattern.test(text))
      .map(([file]) => file)
      .sort();
  t.deepEqual(
    stating(/0c8d7a52-1f0e-4b7a-8d59-6a0f2b3c4d5e/),
    ['src/bin/cli.ts'],
    'the CLI operator namespace is written once',
  );
  t.deepEqual(stating(/`cli:\$\{/), ['src/bin/cli.ts'], 'and the cli:<user>@<host> label is made in one place');
  // (2_147_483_647 is also PostgreSQL's int4 bound, a different fact: only the timer's spelling is checked.)
  t.deepEqual(stating(/2 \*\* 31 - 1/), ['src/config/defaults.ts'], "Node's timer bound is written once");
  t.deepEqual(
    stating(/[`'"]\/admin\/messages\/\$\{/),
    ['src/app/admin/shared/format.ts'],
    "a message's admin page address is made in one place",
  );
  t.deepEqual(
    stating(/\(req\.body as Record<string, unknown> \| undefined\) \?\? \{\}/),
    ['src/app/admin/shared/form-body.ts'],
    'and so is a posted form read as a record',
  );
  const copied = new Map([
    ['a.ts', 'export const ADMIN_ROLE = 1;'],
    ['b.ts', 'class ADMIN_ROLE {}'],
    ['c.ts', 'ADMIN_ROLE_NAME; const x = ADMIN_ROLE;'],
  ]);
  t.deepEqual(declaring(copied, 'ADMIN_ROLE'), ['a.ts', 'b.ts'], 'and the check finds a second declaration');
});
