/**
 * The encoder classifier (models/classifier: a post-norm BERT-style encoder trained by
 * models/classifier.py to tell which section of the Bible a verse comes from). Its golden file
 * holds PyTorch's values for three held-out verses: class logits, every bidirectional attention
 * row, each layer's hidden states (norms and first components), the GELU activation norms, and
 * the class lens (the head applied to each layer's [CLS] vector). lmscope must match them to 1e-4,
 * from discovery through trace and the inspector.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {before, describe, it} from 'node:test';
import chalk from 'chalk';
import {render} from 'ink-testing-library';
import type {ReactElement} from 'react';
import {summarizeTrace} from '../source/analysis/traceSummary.js';
import {l2norm} from '../source/analysis/traceSummary.js';
import {softmax} from '../source/analysis/distribution.js';
import {LanguageModel} from '../source/model/languageModel.js';
import {resolveModel} from '../source/model/resolve.js';
import {WANT_ALL, attentionRow, type Trace} from '../source/model/trace.js';
import {SessionController} from '../source/session/controller.js';
import {attentionValue} from '../source/session/selectors.js';
import {Header} from '../source/ui/components/Header.js';
import {LogitLens} from '../source/ui/components/LogitLens.js';
import {NextToken} from '../source/ui/components/NextToken.js';
import {createTheme} from '../source/ui/theme.js';
import {ThemeContext} from '../source/ui/themeContext.js';
import {ROOT, TOLERANCE, maxAbsDiff, runCli} from './helpers.js';

const DIR = path.join(ROOT, 'models', 'classifier');

interface Case {
	ref: string;
	text: string;
	label: string;
	ids: number[];
	logits: number[];
	probabilities: number[];
	attention: number[][][][];
	hidden_norm: number[][];
	hidden_first8: number[][][];
	mlp_norm: number[][];
	lens_probabilities: number[][];
}
const golden = JSON.parse(fs.readFileSync(path.join(DIR, 'golden.json'), 'utf8')) as {labels: string[]; cases: Case[]};

function frame(element: ReactElement): string {
	const instance = render(<ThemeContext.Provider value={createTheme(0)}>{element}</ThemeContext.Provider>);
	const out = instance.lastFrame() ?? '';
	instance.unmount();
	return out;
}

describe('encoder classifier (post-norm BERT-style, models/classifier)', () => {
	let model: LanguageModel;
	before(async () => {
		model = await LanguageModel.load(resolveModel(DIR));
	});

	it('is discovered as a post-norm sequence classifier with the labels of config.json', () => {
		assert.equal(model.info.task, 'classification');
		assert.deepEqual(model.info.labels, golden.labels);
		assert.equal(model.info.hasCache, false);
		assert.equal(model.map.inputs.tokenTypeIds, 'token_type_ids');
		assert.match(model.map.notes.join(' '), /post-norm/);
		for (const layer of model.map.layers) assert.match(layer.residual, /output\/LayerNorm/, 'the stream is the LayerNorm after each residual add');
	});

	for (const c of golden.cases) {
		describe(`${c.ref} (${c.label})`, () => {
			let trace: Trace;
			const n = c.ids.length;
			before(async () => {
				trace = await model.forward(c.ids, WANT_ALL);
			});

			it('tokenizes with the classification token first', () => {
				assert.deepEqual(model.encode(c.text), c.ids);
			});

			it('class logits equal PyTorch', () => {
				assert.equal(trace.logitsRows, 1);
				assert.ok(maxAbsDiff(trace.logits, c.logits) <= TOLERANCE);
			});

			it('bidirectional attention: every query row over every key equals PyTorch', () => {
				for (let l = 0; l < c.attention.length; l++) for (let h = 0; h < trace.heads; h++) for (let q = 0; q < n; q++) {
					const diff = maxAbsDiff(attentionRow(trace, l, h, q), c.attention[l]![h]![q]!);
					assert.ok(diff <= TOLERANCE, `layer ${l} head ${h} query ${q}: ${diff}`);
				}
				assert.ok(attentionRow(trace, 0, 0, 0).slice(1).some(v => v > 0.01), 'the first token attends to later ones');
			});

			it('hidden states after each post-norm block and the GELU activations equal PyTorch', () => {
				trace.residual!.forEach((stream, k) => {
					const rows = Array.from({length: n}, (_, p) => stream.subarray(p * trace.width, (p + 1) * trace.width));
					assert.ok(maxAbsDiff(rows.map(l2norm), c.hidden_norm[k]!) <= TOLERANCE, `hidden ${k} norms`);
					rows.forEach((row, p) => assert.ok(maxAbsDiff(row.subarray(0, 8), c.hidden_first8[k]![p]!) <= TOLERANCE, `hidden ${k} position ${p}`));
				});
				trace.mlp!.forEach((act, l) => {
					const norms = Array.from({length: n}, (_, p) => l2norm(act.subarray(p * trace.inner, (p + 1) * trace.inner)));
					assert.ok(maxAbsDiff(norms, c.mlp_norm[l]!) <= TOLERANCE, `mlp ${l}`);
				});
			});

			it('trace summary: class probabilities and the class lens per layer equal PyTorch', async () => {
				const summary = await summarizeTrace(trace, id => model.tokenizer.piece(id), (rows, count) => model.lensLogits(rows, count), 6, model.info.labels);
				assert.equal(summary.task, 'classification');
				assert.equal(summary.focus, 0);
				for (const s of summary.next) assert.ok(Math.abs(s.probability - c.probabilities[s.id]!) <= TOLERANCE);
				assert.equal(summary.next[0]!.text, golden.labels[c.probabilities.indexOf(Math.max(...c.probabilities))]);
				summary.layers.forEach((layer, k) => {
					assert.equal(layer.lens.length, 6);
					for (const s of layer.lens) assert.ok(Math.abs(s.probability - c.lens_probabilities[k]![s.id]!) <= TOLERANCE, `lens ${k} ${s.text}`);
				});
				const last = summary.layers.at(-1)!.lens;
				for (const s of last) assert.ok(Math.abs(s.probability - softmax(trace.logits)[s.id]!) <= 1e-6, 'the last layer\'s lens is the model\'s output');
			});
		});
	}

	it('the inspector session: classes for the whole input, full attention rows, class lens, no generation', async () => {
		chalk.level = 0;
		const c = golden.cases[1]!;
		const controller = new SessionController(model, c.text, {temperature: 0, topK: 0, topP: 1, seed: 0, maxNewTokens: 5});
		await controller.runPrompt();
		let state = controller.getState();
		assert.equal(state.cursor.token, 0, 'the cursor starts on the token the head reads');
		assert.ok(maxAbsDiff(state.classes!.top.map(t => t.probability), state.classes!.top.map(t => c.probabilities[t.id]!)) <= TOLERANCE);
		assert.equal(state.positions[0]!.keys, c.ids.length);
		assert.ok(Math.abs(attentionValue(state.positions, 1, 2, 0, c.ids.length - 1)! - c.attention[1]![2]![0]!.at(-1)!) <= TOLERANCE, 'query 0 sees the last key');
		for (let i = 0; i < 50 && state.lens?.position !== 'sequence'; i++) {
			await new Promise(resolve => setTimeout(resolve, 10));
			state = controller.getState();
		}
		assert.equal(state.lens?.position, 'sequence');
		const rows = state.lens!.rows;
		assert.ok(rows !== 'unavailable');
		rows.forEach((row, k) => assert.ok(Math.abs(row.top[0]!.probability - Math.max(...c.lens_probabilities[k]!)) <= TOLERANCE));
		await controller.step();
		state = controller.getState();
		assert.equal(state.positions.length, c.ids.length, 'no token was generated');
		assert.match(state.message ?? '', /does not generate/);

		const piece = (id: number) => model.tokenizer.piece(id);
		const classes = frame(<NextToken state={state} width={50} height={8} piece={piece} focused={false} />);
		assert.match(classes, /Classes \(whole input\)/);
		assert.match(classes, new RegExp(` 1 ${c.label}`));
		const lens = frame(<LogitLens state={{...state, cursor: {...state.cursor, token: 5}}} width={60} height={6} piece={piece} focused={false} />);
		assert.match(lens, /Class lens/);
		assert.match(lens, /L1=out/);
		assert.match(frame(<Header state={state} width={120} />), /classifier: 6 classes/);
	});

	it('trace prints class probabilities; generate and eval refuse in one line', () => {
		const c = golden.cases[2]!;
		const traced = runCli(['trace', '--model', DIR, c.text]);
		assert.equal(traced.code, 0, traced.stderr);
		assert.match(traced.stdout, /class probabilities for the whole input/);
		assert.match(traced.stdout, new RegExp(`1\\. ${c.label} +0\\.\\d{4}`));
		assert.match(traced.stdout, /class lens \(head on this layer\)/);
		const generated = runCli(['generate', '--model', DIR, c.text]);
		assert.equal(generated.code, 2);
		assert.match(generated.stderr, /^lmscope: classifier is a sequence classifier \(classes: law, history, wisdom, prophets, gospels, epistles\): it does not generate/);
		const graph = runCli(['graph', DIR]);
		assert.match(graph.stdout, /classification head .*Tanh/);
	});
});
