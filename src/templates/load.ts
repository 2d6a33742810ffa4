import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { compiledTemplateFile, pugCompiler, RUNNING_BUILT, type PugCompiler, type Template } from './pug-compiler.ts';

type Render = (file: string, options: object, callback: (error: Error | null, html?: string) => void) => void;

export interface TemplateLoader {
  /** The template of a .pug file, for code that renders outside Express (emails). */
  template(file: string): Template;
  /** Express's view engine for .pug (`app.engine('pug', …)`). */
  readonly render: Render;
}

const requireCompiled = createRequire(import.meta.url);

interface LoaderOptions {
  readonly compiler?: () => PugCompiler;
  /**
   * Whether to render a template's compiled module when one lies beside it: the built app only.
   * Run from source, a stray module beside a template (copied from dist/, or written by mistake)
   * would hide every later edit of it.
   */
  readonly useCompiled?: boolean;
}

/**
 * Templates the build compiled (`npm run build` writes `<name>.pug.cjs` beside each template in
 * dist/) when there is one, so the running app never loads Pug's compiler; without one, or run
 * from source, Pug compiles them, and in development sees an edited template at once.
 */
export function createTemplateLoader({
  compiler = pugCompiler,
  useCompiled = RUNNING_BUILT,
}: LoaderOptions = {}): TemplateLoader {
  // A file's compiled module, or null when it has none; dist/ does not change under a running app.
  const compiled = new Map<string, Template | null>();

  function compiledTemplate(file: string): Template | null {
    if (!useCompiled) return null;
    let template = compiled.get(file);
    if (template !== undefined) return template;
    const module = compiledTemplateFile(file);
    template = existsSync(module) ? (requireCompiled(module) as unknown as Template) : null;
    if (template !== null && typeof template !== 'function')
      throw new Error(`${module} does not export a template function; run npm run build again`);
    // Pug still renders it, but the compiler's memory comes back: said once, where operators look.
    if (template === null)
      process.emitWarning(`${file} has no compiled module beside it, so Pug compiles it; run npm run build again`, {
        code: 'VT_TEMPLATE_NOT_COMPILED',
      });
    compiled.set(file, template);
    return template;
  }

  return {
    template: (file) => compiledTemplate(file) ?? compiler().compileFile(file),
    render(file, options, callback) {
      const template = compiledTemplate(file);
      if (template === null) return compiler().__express(file, options, callback);
      let html: string;
      try {
        html = template(options as Record<string, unknown>);
      } catch (error) {
        return callback(error instanceof Error ? error : new Error(String(error)));
      }
      callback(null, html);
    },
  };
}

/** The process's templates: each compiled module is read once, for every app and email. */
export const templates = createTemplateLoader();
