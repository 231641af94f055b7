/**
 * Build dist/cli.js: one ESM bundle of lmscope and its pure-JS dependencies (esbuild).
 *
 * Why a bundle: Ink alone loads hundreds of small modules at start-up (its `es-toolkit/compat`
 * import is ~230 ms by itself); one tree-shaken file starts in a fraction of that, which the
 * inspector's launch-time target needs. Native and heavyweight packages stay external and load
 * from node_modules as usual. React is built in production mode (no development checks).
 */
import fs from 'node:fs';
import {build} from 'esbuild';

fs.rmSync('dist', {recursive: true, force: true});

await build({
	entryPoints: ['cli.tsx'],
	outdir: 'dist',
	entryNames: '[name]',
	chunkNames: 'chunks/[name]-[hash]',
	// Commands load their code on demand (dynamic imports become separate chunks), so `trace`
	// does not parse the inspector, and the inspector does not parse `eval`.
	splitting: true,
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node20',
	jsx: 'automatic',
	// Native code, WebAssembly loaded by path, or large optional trees: resolved at run time.
	external: ['onnxruntime-node', '@huggingface/transformers'],
	define: {'process.env.NODE_ENV': '"production"'},
		// Bundled CommonJS code (React) calls require() for Node built-ins; every chunk gets it.
	banner: {js: "#!/usr/bin/env node\nimport {createRequire as lmscopeCreateRequire} from 'node:module';\nconst require = lmscopeCreateRequire(import.meta.url);"},
	legalComments: 'none',
	logLevel: 'warning',
	plugins: [
		{
			// Ink imports React DevTools only when DEV=true; lmscope never ships it.
			name: 'no-react-devtools',
			setup(b) {
				b.onResolve({filter: /^react-devtools-core$/}, () => ({path: 'react-devtools-core', namespace: 'empty'}));
				b.onLoad({filter: /.*/, namespace: 'empty'}, () => ({contents: 'export default {connectToDevTools() {}};'}));
			},
		},
	],
});

// `node dist/cli.js` and `./dist/cli.js` both work.
fs.chmodSync('dist/cli.js', 0o755);
