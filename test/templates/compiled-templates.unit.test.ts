import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type test from 'tape';
import { scopedTest } from '../helpers/scoped-test.ts';
import type { Scope } from '../helpers/scope.ts';
import { compileTemplateModule, compileTemplatesUnder } from '../../src/templates/compile.ts';
import { createTemplateLoader } from '../../src/templates/load.ts';
import { pugCompiler, type PugCompiler } from '../../src/templates/pug-compiler.ts';

/** A compiler that counts its uses: 0 is what the built app must show. */
function countingCompiler(): { compiler: () => PugCompiler; uses: () => number } {
  let uses = 0;
  return {
    compiler: () => {
      uses += 1;
      return pugCompiler();
    },
    uses: () => uses,
  };
}

async function tempDir(scope: Scope): Promise<string> {
  return scope.add(await mkdtemp(path.join(os.tmpdir(), 'templates-')), (dir) =>
    rm(dir, { recursive: true, force: true }),
  );
}

function rendered(render: ReturnType<typeof createTemplateLoader>['render'], file: string, locals: object) {
  return new Promise<string>((resolve, reject) =>
    render(file, locals, (error, html) => (error ? reject(error) : resolve(html ?? ''))),
  );
}

/** What Pug itself renders from the source, as Express rendered every page before. */
function renderedByPug(file: string, locals: object): Promise<string> {
  return new Promise((resolve, reject) =>
    pugCompiler().__express(file, locals, (error, html) => (error ? reject(error) : resolve(html ?? ''))),
  );
}

const LOGGED_OUT = { currentPath: '/videos?x="1"&y=<2>', searchQuery: 'pug & "friends"' };
const LOGGED_IN = {
  userId: 'u-1',
  userName: '<b>Ada</b>',
  csrfToken: 'tok"en',
  showAdminLink: true,
  flash: 'Saved & done',
};
// Each pair: a template the app ships, and locals that take its branches and escape what a visitor typed.
const SAMPLES: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  [
    'web/views/error.pug',
    {
      ...LOGGED_OUT,
      title: 'Oops',
      status: 500,
      message: '<script>x</script>',
      next: { href: '/?a="b"', label: 'Home' },
    },
  ],
  [
    'web/views/error.pug',
    { ...LOGGED_IN, title: 'Gone', status: 410, message: 'It went', next: { href: '/', label: 'Home' } },
  ],
  [
    'web/views/not-found.pug',
    { ...LOGGED_OUT, title: 'Not found', path: '/<nope>', next: { href: '/', label: 'Home' } },
  ],
  ...['registration-email', 'email-change-verification', 'email-change-notice'].flatMap((name) =>
    ['html.pug', 'text.pug'].map(
      (part) =>
        [
          `components/identity/templates/${name}/${part}`,
          {
            subject: 'Hi "you"',
            verifyLink: 'https://x.test/v?a=1&b=2',
            logInUrl: 'https://x.test/in',
            homeUrl: 'https://x.test/',
            accountUrl: 'https://x.test/a',
          },
        ] as const,
    ),
  ),
];

scopedTest(
  'compiled templates: every template the app ships compiles, and renders what Pug renders, without Pug',
  async (t, scope) => {
    const dir = await tempDir(scope);
    await cp('src', dir, { recursive: true, filter: (source) => !source.endsWith('.ts') });
    const shipped = (await readdir(dir, { recursive: true })).filter((file) => file.endsWith('.pug'));
    const basedir = path.join(dir, 'web/views');
    const compiled = await compileTemplatesUnder(dir, basedir);
    t.equal(compiled.length, shipped.length, `all ${shipped.length} templates compiled`);

    const counting = countingCompiler();
    // As the built app runs it (this test runs from source, where modules are not used).
    const loader = createTemplateLoader({ compiler: counting.compiler, useCompiled: true });
    for (const [file, locals] of SAMPLES) {
      const options = { ...locals, basedir };
      t.equal(
        await rendered(loader.render, path.join(dir, file), options),
        await renderedByPug(path.join('src', file), { ...locals, basedir: path.resolve('src/web/views') }),
        `${file} renders as Pug renders it${locals.userId ? ' (logged in)' : ''}`,
      );
    }
    t.equal(
      loader
        .template(path.join(dir, 'components/identity/templates/registration-email/text.pug'))(SAMPLES.at(-1)![1])
        .includes('https://x.test/v?a=1&b=2'),
      true,
      'an email template from its module',
    );
    t.equal(counting.uses(), 0, "and Pug's compiler was never loaded for them");
  },
);

scopedTest('compiled templates: without a module beside it, Pug compiles the template', async (t, scope) => {
  const dir = await tempDir(scope);
  const file = path.join(dir, 'hello.pug');
  await writeFile(file, 'p Hello #{name}\n');
  const counting = countingCompiler();
  const warnings: string[] = [];
  const onWarning = (warning: Error & { code?: string }) => {
    if (warning.code === 'VT_TEMPLATE_NOT_COMPILED') warnings.push(warning.message);
  };
  process.on('warning', onWarning);
  scope.add(onWarning, (listener) => process.off('warning', listener));
  const loader = createTemplateLoader({ compiler: counting.compiler, useCompiled: true });
  t.equal(await rendered(loader.render, file, { name: '<Ada>' }), '<p>Hello &lt;Ada&gt;</p>', 'rendered');
  t.equal(loader.template(file)({ name: 'Bo' }), '<p>Hello Bo</p>', 'and for code outside Express');
  t.equal(counting.uses(), 2, "by Pug's compiler");
  await new Promise((resolve) => setImmediate(resolve)); // a warning is emitted on a later tick
  t.equal(warnings.length, 1, 'said once, as a built app would, that the module is missing');
  t.match(warnings[0] ?? '', /hello\.pug has no compiled module beside it.*npm run build/, 'and what to do');
});

scopedTest(
  'compiled templates: run from source, a module beside a template is not used, so an edit shows',
  async (t, scope) => {
    const dir = await tempDir(scope);
    const file = path.join(dir, 'hello.pug');
    await writeFile(file, 'p Hello #{name}\n');
    await writeFile(`${file}.cjs`, compileTemplateModule(file, dir));
    await writeFile(file, 'p Edited #{name}\n');
    const loader = createTemplateLoader(); // as the app from source makes it
    t.equal(await rendered(loader.render, file, { name: 'Ada' }), '<p>Edited Ada</p>', 'the page as edited');
    t.equal(loader.template(file)({ name: 'Bo' }), '<p>Edited Bo</p>', 'and the email as edited');
  },
);

scopedTest(
  'compiled templates: a broken module or a failing template is an error for the error page, not a crash',
  async (t, scope) => {
    const dir = await tempDir(scope);
    const loader = createTemplateLoader({
      compiler: () => {
        throw new Error('the compiler must not be needed');
      },
      useCompiled: true,
    });
    const broken = path.join(dir, 'broken.pug');
    await writeFile(broken, 'p x\n');
    await writeFile(`${broken}.cjs`, 'module.exports = 42;\n');
    await expectError(
      t,
      rendered(loader.render, broken, {}),
      /does not export a template function; run npm run build again/,
    );

    const failing = path.join(dir, 'failing.pug');
    await writeFile(failing, 'p= video.title\n');
    await writeFile(`${failing}.cjs`, compileTemplateModule(failing, dir));
    await expectError(t, rendered(loader.render, failing, {}), /Cannot read properties of undefined/);
  },
);

async function expectError(t: test.Test, promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
    t.fail(`expected an error matching ${pattern}`);
  } catch (error) {
    t.match(String(error), pattern, `the error: ${String(error).split('\n')[0]}`);
  }
}

const modulesInSrc = async () =>
  (await readdir('src', { recursive: true })).filter((file) => file.endsWith('.pug.cjs'));

scopedTest('compiled templates: the build step refuses to write modules beside the sources', async (t, scope) => {
  // Should the refusal ever break, what it wrote into src/ goes, so it cannot outlive this test.
  scope.add('src', async (dir) => {
    for (const file of await modulesInSrc()) await rm(path.join(dir, file));
  });
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/bin/compile-templates.ts'], { encoding: 'utf8' });
  t.equal(run.status, 2, 'exit 2');
  t.match(run.stderr, /runs on the built app only: npm run build/, 'and says what to run instead');
  t.deepEqual(await modulesInSrc(), [], 'nothing written into src/');
});
