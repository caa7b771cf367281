// Layering is a build error, not a review comment (see ../shared/ARCHITECTURE.md).
// Each rule below says why it exists; tests/contract/layering.test.ts proves each one fires.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`), 'node:*'];

const noNode = {
  paths: nodeBuiltins.map((name) => ({ name, message: 'No Node APIs here: this layer runs without Node (renderer: the sandboxed page; contract: both sides).' })),
  patterns: [{ group: ['node:*'], message: 'No Node APIs here.' }],
};
const noElectron = { name: 'electron', message: 'Only electron/ may import electron; everything else must run in plain Node or a browser.' };
const layerPattern = (layer, why) => ({ group: [`**/${layer}/**`, `**/${layer}`], message: why });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Unused code is dead code; an underscore marks a deliberately ignored value.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    files: ['contract/**/*.ts'],
    rules: {
      // The contract is shared by renderer and main: pure TypeScript + zod.
      'no-restricted-imports': ['error', {
        paths: [...noNode.paths, noElectron],
        patterns: [...noNode.patterns, layerPattern('main', 'The contract may not depend on main.'), layerPattern('renderer', 'The contract may not depend on the renderer.'), layerPattern('electron', 'The contract may not depend on electron/.')],
      }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    rules: {
      // The renderer talks to main only through the contract: no Node, no electron, no main/ code.
      'no-restricted-imports': ['error', {
        paths: [...noNode.paths, noElectron],
        patterns: [...noNode.patterns, layerPattern('main', 'The renderer reaches main only through the contract (contract/client).'), layerPattern('electron', 'The renderer may not import electron/ code.')],
      }],
    },
  },
  {
    files: ['main/**/*.ts'],
    languageOptions: { globals: globals.node },
    rules: {
      // main runs in plain Node (CLI, agent, tests); Electron wiring lives in electron/ only.
      'no-restricted-imports': ['error', {
        paths: [noElectron],
        patterns: [layerPattern('renderer', 'main may not import renderer code.'), layerPattern('electron', 'main may not import electron/ code: electron/ imports main, not the reverse.')],
      }],
    },
  },
  {
    files: ['electron/**/*.{ts,cts}'],
    languageOptions: { globals: globals.node },
    rules: {
      // The shell wires main to windows; it must not reach into the renderer's code.
      'no-restricted-imports': ['error', { patterns: [layerPattern('renderer', 'electron/ loads the built renderer; it does not import its code.')] }],
    },
  },
  {
    files: ['tests/**/*.{ts,tsx}', 'bench/**/*.ts', 'bin/**/*.js', '*.config.{js,ts}'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
);
