/**
 * Build dist/cli.js: one ESM bundle of lmscope and its pure-JS dependencies (esbuild).
 *
 * Why a bundle: Ink alone loads hundreds of small modules at start-up (its `es-toolkit/compat`
 * import is ~230 ms by itself); one tree-shaken file starts in a fraction of that, which the
 * inspector's launch-time target needs. Native and heavyweight packages stay external and load
 * from node_modules as usual. React is built in production mode (no development checks).
 */
import {build} from 'esbuild';

await build({
	entryPoints: ['cli.tsx'],
	outfile: 'dist/cli.js',
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node20',
	jsx: 'automatic',
	// Native code, WebAssembly loaded by path, or large optional trees: resolved at run time.
	external: ['onnxruntime-node', '@huggingface/transformers'],
	define: {'process.env.NODE_ENV': '"production"'},
	// Bundled CommonJS code (React) calls require() for Node built-ins.
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
(await import('node:fs')).chmodSync('dist/cli.js', 0o755);
