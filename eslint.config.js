// ESLint flat config. A small rule set that catches real faults in async Node code, not a style
// guide: ESLint's recommended rules, plus typescript-eslint's type-aware rules for promises, switch
// exhaustiveness and type-only imports (issue 16 §4). Formatting is Prettier's job (.prettierrc).
// The whole order of the layers is test/app/boundaries.unit.test.ts's; lint holds one line of it,
// the one most often crossed, so an editor shows it as it is typed: nothing below the web slices
// (src/app) imports from them, nor from the entry points above them.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'docs/**', '.data/**'],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', 'eslint.config.js'],
    languageOptions: {
      globals: globals.node,
    },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: {
        // Type information from tsconfig.json, which covers src, migrations, test and bench.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: false }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // `declare global { namespace CookieSessionInterfaces … }` is how cookie-session's session type is augmented.
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
      // Control characters in a pattern are the point wherever we write one: input is refused or
      // cleaned of them (src/app/admin/control-characters.ts, src/web/return-to.ts, trace ids).
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/app/**', 'src/bin/**', 'src/main.ts', 'src/system.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(app|bin)/|(^|/)(system|main)\\.[jt]s$',
              message:
                'Below the web slices: no import from src/app or the entry points (test/app/boundaries.unit.test.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    // Browser scripts served as they are (no build step, no type information). watch.js and
    // upload.js are loaded as modules; refresh.js as a classic deferred script.
    files: ['public/js/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: globals.browser,
    },
  },
  {
    files: ['public/js/refresh.js'],
    languageOptions: { sourceType: 'script' },
  },
);
