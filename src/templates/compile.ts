import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compiledTemplateFile, pugCompiler, type PugCompiler } from './pug-compiler.ts';

/**
 * A template as a CommonJS module exporting its render function, with Pug's few runtime helpers
 * inlined, so the app needs nothing of Pug to use it. `basedir` resolves `extends /layout`.
 * Without debug code, as production rendered before: an error names no template line, and the
 * module is 2.5 times smaller.
 */
export function compileTemplateModule(file: string, basedir: string, compiler: PugCompiler = pugCompiler()): string {
  const source = compiler.compileFileClient(file, {
    basedir,
    compileDebug: false,
    inlineRuntimeFunctions: true,
    name: 'template',
  });
  return `${source}\nmodule.exports = template;\n`;
}

/** Compiles every .pug under `dir` (recursively) beside itself; returns the templates compiled. */
export async function compileTemplatesUnder(dir: string, basedir: string): Promise<string[]> {
  const done: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.pug')) continue;
    const file = path.join(entry.parentPath, entry.name);
    await writeFile(compiledTemplateFile(file), compileTemplateModule(file, basedir));
    done.push(file);
  }
  return done.sort();
}
