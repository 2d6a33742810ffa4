// tsc compiles only TypeScript; the compiled app also needs the Pug templates beside it and
// public/ where create-app.ts looks for it (two levels up from dist/src/web).
import { cp, readdir } from 'node:fs/promises';
import path from 'node:path';

async function copyTemplates(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const source = path.join(dir, entry.name);
    if (entry.isDirectory()) await copyTemplates(source);
    else if (entry.name.endsWith('.pug')) await cp(source, path.join('dist', source));
  }
}

await copyTemplates('src');
await cp('public', path.join('dist', 'public'), { recursive: true });
