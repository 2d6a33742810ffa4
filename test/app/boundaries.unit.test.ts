import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'tape';
import { COMMON_VIEWS_DIR } from '../../src/web/create-app.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const appDir = path.join(root, 'src/app');

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith('.ts')) files.push(full);
  }
  return files;
}

/** Every module a file imports, relative ones resolved to paths from the repository root. */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*['"]([^'"]+)['"]/g)].map((match) => match[1]!);
  return specifiers.map((specifier) =>
    specifier.startsWith('.') ? path.relative(root, path.resolve(path.dirname(file), specifier)) : specifier,
  );
}

test('boundaries: slices reach the message store through its index and web plumbing through src/web', async (t) => {
  const offences: string[] = [];
  for (const file of await sourceFiles(appDir)) {
    const where = path.relative(root, file);
    for (const imported of await importsOf(file)) {
      if (imported.startsWith('src/message-store/') && imported !== 'src/message-store/index.ts') {
        offences.push(`${where} imports ${imported} (use src/message-store/index.ts)`);
      }
      if (imported === 'uuid' || imported.startsWith('uuid/')) offences.push(`${where} imports the uuid package (use the contract's schema)`);
    }
  }
  t.deepEqual(offences, [], 'no slice reaches inside the message store or checks UUIDs its own way');
  t.notOk(existsSync(path.join(appDir, 'express')), 'no shared HTTP plumbing under src/app');
  t.notOk(existsSync(path.join(appDir, 'views')), 'no common views under src/app');
  t.equal(path.relative(root, COMMON_VIEWS_DIR), path.join('src', 'web', 'views'), 'the common views live in src/web/views');
  t.ok(existsSync(path.join(COMMON_VIEWS_DIR, 'layout.pug')), 'with the layout in them');
});

test('boundaries: nothing in the web layer and config is exported without being used elsewhere', async (t) => {
  const owned = (await Promise.all(['src/app', 'src/web', 'src/config'].map((dir) => sourceFiles(path.join(root, dir))))).flat();
  const everywhere = (await Promise.all(['src', 'test', 'bench', 'migrations'].map((dir) => sourceFiles(path.join(root, dir))))).flat();
  const texts = new Map(await Promise.all(everywhere.map(async (file) => [file, await readFile(file, 'utf8')] as const)));
  const dead: string[] = [];
  for (const file of owned) {
    const declared = [...(texts.get(file) ?? '').matchAll(/^export (?:async )?(?:const|function|class|interface|type) (\w+)/gm)].map((m) => m[1]!);
    for (const name of declared) {
      const used = new RegExp(`\\b${name}\\b`);
      if (![...texts].some(([other, text]) => other !== file && used.test(text))) dead.push(`${path.relative(root, file)}: ${name}`);
    }
  }
  t.deepEqual(dead, [], 'no dead exports');
});
