import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Every `.ts` file under `dir`, at any depth: for the tests that read the source itself. */
export async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith('.ts')) files.push(full);
  }
  return files;
}
