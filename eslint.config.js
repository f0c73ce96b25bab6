// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The consensus core and the workflow engine must stay pure (DESIGN.md rule 1): no I/O, no clock,
// no randomness of their own. These restrictions make the rule mechanical.
const impureModules = [
  { name: 'level', message: 'src/raft and src/engine are pure: no storage I/O.' },
  { name: 'classic-level', message: 'src/raft and src/engine are pure: no storage I/O.' },
  { name: 'pino', message: 'src/raft and src/engine are pure: return data, let the host log.' },
  { name: 'prom-client', message: 'src/raft and src/engine are pure: the host records metrics.' },
];
const impurePatterns = [
  {
    group: [
      'node:*',
      'fs',
      'net',
      'http',
      'https',
      'child_process',
      'os',
      'dgram',
      'worker_threads',
      'timers',
      'crypto',
    ],
    message: 'src/raft and src/engine are pure: no Node I/O modules.',
  },
  { group: ['@grpc/*'], message: 'src/raft and src/engine are pure: no network.' },
];
const impureGlobals = [
  { name: 'setTimeout', message: 'Pure core: time arrives as ticks or inside commands.' },
  { name: 'setInterval', message: 'Pure core: time arrives as ticks or inside commands.' },
  { name: 'setImmediate', message: 'Pure core: no scheduling of its own.' },
  { name: 'performance', message: 'Pure core: no clock.' },
  { name: 'process', message: 'Pure core: no process access.' },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'data/**',
      'src/gen/**',
      'cluster/bench/results/**',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['bin/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/prefer-literal-enum-member': 'off',
      'no-console': 'error',
    },
  },
  {
    files: ['src/raft/**/*.ts', 'src/engine/**/*.ts'],
    ignores: ['**/*.test.ts', '**/testing/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: impureModules, patterns: impurePatterns }],
      'no-restricted-globals': ['error', ...impureGlobals],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Pure core: take an injected Rng.' },
        { object: 'Date', property: 'now', message: 'Pure core: time arrives inside commands.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Pure core: no clock; time arrives inside commands.',
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'cluster/**/*.ts', 'src/cli/**/*.ts', 'src/sim/cli.ts', 'bin/**'],
    rules: { 'no-console': 'off' },
  },
);
