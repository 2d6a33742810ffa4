import { createRequire } from 'node:module';

/** What a compiled template does: locals in, HTML (or text) out. */
export type Template = (locals: Readonly<Record<string, unknown>>) => string;

/** The few functions of Pug's compiler we call. pug ships no types (and @types/pug is not a dependency). */
export interface PugCompiler {
  compileFile(file: string, options?: Readonly<Record<string, unknown>>): Template;
  compileFileClient(file: string, options?: Readonly<Record<string, unknown>>): string;
  __express(file: string, options: object, callback: (error: Error | null, html?: string) => void): void;
}

let compiler: PugCompiler | undefined;

/**
 * Pug's compiler, loaded on first use rather than at import: the built app renders the templates
 * the build compiled (templates/load.ts) and never needs it. Loaded, it cost the compiled app
 * 5–7 MiB of RSS at its start (21.6 in a bare node, which shares less of what it pulls in).
 */
export function pugCompiler(): PugCompiler {
  compiler ??= createRequire(import.meta.url)('pug') as PugCompiler;
  return compiler;
}

/** Whether this code runs as the build compiled it (dist/), not through tsx from src/. */
export const RUNNING_BUILT = import.meta.url.endsWith('.js');

/** Where the build puts a template's compiled module: beside it, `<name>.pug.cjs`. */
export function compiledTemplateFile(templateFile: string): string {
  return `${templateFile}.cjs`;
}
