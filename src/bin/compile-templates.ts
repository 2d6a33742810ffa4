import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileTemplatesUnder } from '../templates/compile.ts';
import { RUNNING_BUILT } from '../templates/pug-compiler.ts';
import { COMMON_VIEWS_DIR } from '../web/create-app.ts';

/*
 * node dist/src/bin/compile-templates.js (the last step of npm run build)
 *
 * Compiles every template the build copied into dist/src to a module beside it, which the built
 * app renders without loading Pug's compiler (docs/architecture.md). Only from dist: run from
 * source, the app compiles templates as it uses them, and modules beside the sources would
 * hide later edits.
 */

if (!RUNNING_BUILT) {
  console.error('compile-templates runs on the built app only: npm run build');
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const compiled = await compileTemplatesUnder(path.resolve(here, '..'), COMMON_VIEWS_DIR);
console.log(`compiled ${compiled.length} templates`);
