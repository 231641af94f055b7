/** The CLI as a user runs it: trace, generate, graph, help, checked against the PyTorch golden files. */
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import {DEFAULT_MODEL, ROOT, defaultModel, goldens, runCli, tempDir, TOLERANCE} from './helpers.js';

describe('lmscope CLI', () => {
	it('--help lists every command and flag', () => {
		const {code, stdout} = runCli(['--help']);
		assert.equal(code, 0);
		// Every flag meow is given in cli.tsx must be in the help text.
		const source = fs.readFileSync(path.join(ROOT, 'cli.tsx'), 'utf8');
		const flags = [...source.matchAll(/^\t{3}(\w+): \{type:/gm)].map(m => `--${m[1]!.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)}`);
		assert.ok(flags.length >= 25, `found ${flags.length} flags in cli.tsx`);
		const words = ['inspect', 'trace', 'generate', 'graph', 'ratings summary', 'score', 'eval', '--version', ...flags.map(f => (f === '--json-out' ? '--json OUT' : f))];
		for (const word of words) {
			assert.ok(stdout.includes(word), `${word} missing from --help`);
		}
	});

	it('--version prints the package version', () => {
		const {code, stdout} = runCli(['--version']);
		assert.equal(code, 0);
		assert.match(stdout.trim(), /^\d+\.\d+\.\d+/);
	});

	it('trace --json agrees with PyTorch at the last token', () => {
		const golden = goldens()[0]!;
		const {code, stdout, stderr} = runCli(['trace', golden.prompt, '--json', '--top-k', '5']);
		assert.equal(code, 0, stderr);
		assert.equal(stderr, '', 'nothing from ONNX Runtime reaches the terminal');
		const summary = JSON.parse(stdout);
		const last = golden.ids.length - 1;
		assert.deepEqual(summary.tokens.map((t: {id: number}) => t.id), golden.ids);
		assert.deepEqual(summary.next.map((c: {id: number}) => c.id), golden.logits_top5[last]!.ids);
		assert.equal(summary.layers.length, golden.residual_norm.length);
		summary.layers.forEach((layer: {residualNorm: number; lens: Array<{id: number; probability: number}>; heads: Array<{head: number; position: number; probability: number}>}, l: number) => {
			assert.ok(Math.abs(layer.residualNorm - golden.residual_norm[l]![last]!) <= TOLERANCE, `residual norm ${l}`);
			const lens = golden.logit_lens_top5[l]![last]!;
			assert.ok(Math.abs(layer.lens[0]!.probability - lens.values[0]!) <= TOLERANCE, `lens ${l}`);
			if (l === 0) return assert.equal(layer.heads.length, 0);
			for (const head of layer.heads) {
				const row = golden.attention[l - 1]![head.head]![last]!;
				assert.ok(Math.abs(head.probability - Math.max(...row)) <= TOLERANCE);
				assert.ok(Math.abs(row[head.position]! - Math.max(...row)) <= TOLERANCE, `layer ${l} head ${head.head}: most-attended position`);
			}
		});
		assert.equal(summary.model.layers, 4);
	});

	it('trace prints tokens, the next-token distribution and one row per layer', () => {
		const {code, stdout} = runCli(['trace', 'And the king said unto']);
		assert.equal(code, 0);
		assert.match(stdout, /tokens \(\d+\): "And" " the" " king"/);
		assert.match(stdout, /next token after " unto" \(entropy [\d.]+ nats\):\n\s+1\. /);
		for (const name of ['embed', 'block 0', 'block 1', 'block 2', 'block 3']) assert.match(stdout, new RegExp(`\\n  ${name}\\s+\\d`));
	});

	it('generate (greedy) streams the same continuation as PyTorch', async () => {
		const model = await defaultModel();
		for (const golden of goldens()) {
			const n = golden.greedy_ids.length;
			const eos = golden.greedy_ids.indexOf(model.eosTokenId!);
			const ids = eos === -1 ? golden.greedy_ids : golden.greedy_ids.slice(0, eos);
			const {code, stdout, stderr} = runCli(['generate', golden.prompt, '--max-new-tokens', String(n)]);
			assert.equal(code, 0, stderr);
			assert.equal(stdout, `${golden.prompt}${ids.map(id => model.tokenizer.piece(id)).join('')}\n`);
			assert.match(stderr, /^stopped: /);
		}
	});

	it('generate --verbose gives each token with its probability', () => {
		const {code, stdout} = runCli(['generate', 'And the king said unto', '--max-new-tokens', '5', '--verbose']);
		assert.equal(code, 0);
		const lines = stdout.trimEnd().split('\n');
		assert.equal(lines.length, 5);
		for (const line of lines) assert.match(line, /^\s+\d+\s+[01]\.\d{4}\s+".*"$/);
	});

	it('sampling is replayable with --seed', () => {
		const args = ['generate', 'And the king said unto', '--max-new-tokens', '15', '--temperature', '1', '--top-p', '0.95'];
		const a = runCli([...args, '--seed', '3']).stdout;
		assert.equal(runCli([...args, '--seed', '3']).stdout, a);
		assert.notEqual(runCli([...args, '--seed', '4']).stdout, a);
	});

	it('opens a Hugging Face layout with onnx/model.onnx, and a bare .onnx with --tokenizer', () => {
		const golden = goldens()[1]!;
		const hub = tempDir('hf-layout');
		fs.mkdirSync(path.join(hub, 'onnx'));
		fs.copyFileSync(path.join(DEFAULT_MODEL, 'model.onnx'), path.join(hub, 'onnx', 'model.onnx'));
		for (const f of ['tokenizer.json', 'tokenizer_config.json', 'config.json']) fs.copyFileSync(path.join(DEFAULT_MODEL, f), path.join(hub, f));
		const bare = path.join(tempDir('bare'), 'exported.onnx');
		fs.copyFileSync(path.join(DEFAULT_MODEL, 'model.onnx'), bare);
		for (const args of [['--model', hub], ['--model', bare, '--tokenizer', DEFAULT_MODEL]]) {
			const {code, stdout, stderr} = runCli(['trace', golden.prompt, '--json', ...args]);
			assert.equal(code, 0, stderr);
			const summary = JSON.parse(stdout);
			assert.deepEqual(summary.next.map((c: {id: number}) => c.id), golden.logits_top5.at(-1)!.ids);
		}
	});
});

describe('installation', () => {
	it('has a single copy of onnxruntime-node (two native copies collide at load)', async () => {
		const {createRequire} = await import('node:module');
		const require = createRequire(import.meta.url);
		const ours = fs.realpathSync(require.resolve('onnxruntime-node'));
		const transformersDir = path.dirname(fs.realpathSync(require.resolve('@huggingface/transformers')));
		const theirs = fs.realpathSync(createRequire(path.join(transformersDir, 'x.js')).resolve('onnxruntime-node'));
		assert.equal(theirs, ours);
	});
});
