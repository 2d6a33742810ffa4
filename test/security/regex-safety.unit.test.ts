import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkSync, type Diagnostics } from 'recheck';
import test from 'tape';
import ts from 'typescript';

const SRC = path.resolve(import.meta.dirname, '../../src');

interface FoundRegex {
  readonly where: string;
  readonly source: string;
  readonly flags: string;
}

async function typeScriptFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Every regular-expression literal in a file, found by TypeScript's own parser (no guessing at slashes). */
function regexLiterals(file: string, text: string): FoundRegex[] {
  const found: FoundRegex[] = [];
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node): void => {
    if (ts.isRegularExpressionLiteral(node)) {
      const literal = node.text;
      const end = literal.lastIndexOf('/');
      const { line } = source.getLineAndCharacterOfPosition(node.getStart());
      found.push({
        where: `${path.relative(SRC, file)}:${line + 1}`,
        source: literal.slice(1, end),
        flags: literal.slice(end + 1),
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * The automaton checker decides exactly, in milliseconds, from the regex alone. recheck's 'auto'
 * mode hands it only small automata and fuzzes the rest: seconds each, and fuzzing times its
 * attempts, so a loaded machine once called a linear uuid pattern polynomial. Fuzzing is kept for
 * what the automaton checker cannot model (back-references, look-arounds).
 */
function verdictOf({ source, flags }: FoundRegex): Diagnostics {
  const exact = checkSync(source, flags, { checker: 'automaton', timeout: null });
  return exact.status === 'unknown' ? checkSync(source, flags, { checker: 'fuzz', randomSeed: 1 }) : exact;
}

test('every regular expression in src runs in linear time, whatever text it is given', async (t) => {
  const files = await typeScriptFiles(SRC);
  const regexes = (
    await Promise.all(files.map(async (file) => regexLiterals(file, await readFile(file, 'utf8'))))
  ).flat();
  t.ok(regexes.length > 30, `found the regular expressions (${regexes.length})`);
  const started = performance.now();
  for (const regex of regexes) {
    const diagnostics = verdictOf(regex);
    const verdict =
      diagnostics.status === 'safe'
        ? 'linear'
        : diagnostics.status === 'vulnerable'
          ? `${diagnostics.complexity.type} on e.g. ${diagnostics.attack.pattern}`
          : `unknown (${diagnostics.error.kind})`;
    t.equal(verdict, 'linear', `${regex.where} /${regex.source}/${regex.flags}`);
  }
  t.comment(`checked in ${Math.round(performance.now() - started)} ms`);
});
