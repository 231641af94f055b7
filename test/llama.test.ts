/**
 * The Llama family (RMSNorm, rotary position embedding, grouped-query attention with 2 key/value
 * heads for 4 query heads, SwiGLU MLP, untied unembedding), exported by torch like Optimum does:
 * a tiny random-weight model made by models/llama_tiny.py, with golden internals from PyTorch.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {before, describe, it} from 'node:test';
import {l2norm} from '../source/analysis/traceSummary.js';
import {logitLensAll} from '../source/analysis/logitLens.js';
import {Decoder} from '../source/model/decoder.js';
import {LanguageModel} from '../source/model/languageModel.js';
import {resolveModel} from '../source/model/resolve.js';
import {WANT_ALL, attentionRow, logitsRow, type Trace} from '../source/model/trace.js';
import {ROOT, TOLERANCE, maxAbsDiff} from './helpers.js';

const DIR = path.join(ROOT, 'test', 'fixtures', 'llama-tiny');
const golden = JSON.parse(fs.readFileSync(path.join(DIR, 'golden.json'), 'utf8')) as {
	ids: number[];
	attention: number[][][][];
	residual_norm: number[][];
	mlp_norm: number[][];
	logits_last: number[];
	lens_top1_last: number[];
	lens_p_last: number[];
};

describe('Llama-style export (RMSNorm, rotary, GQA, SwiGLU)', () => {
	let model: LanguageModel;
	let trace: Trace;
	const n = golden.ids.length;
	before(async () => {
		model = await LanguageModel.load(resolveModel(DIR));
		trace = await model.forward(golden.ids, WANT_ALL);
	});

	it('finds every layer by structure', () => {
		assert.equal(model.info.layers, 2);
		assert.equal(trace.heads, 4, 'probabilities come per query head, after the key/value heads are repeated');
		assert.deepEqual(model.map.sources, {attention: 'structure', residual: 'structure', mlp: 'structure'});
		assert.match(model.map.layers[0]!.mlp, /mlp\/Mul_1/, 'the SwiGLU product silu(gate) * up');
	});

	it('attention, residual stream, MLP activation and logits equal PyTorch', () => {
		for (let l = 0; l < 2; l++) for (let h = 0; h < 4; h++) for (let q = 0; q < n; q++) {
			assert.ok(maxAbsDiff(attentionRow(trace, l, h, q), golden.attention[l]![h]![q]!) <= TOLERANCE, `l${l} h${h} q${q}`);
		}
		trace.residual!.forEach((stream, l) => {
			const norms = Array.from({length: n}, (_, p) => l2norm(stream.subarray(p * trace.width, (p + 1) * trace.width)));
			assert.ok(maxAbsDiff(norms, golden.residual_norm[l]!) <= TOLERANCE, `residual ${l}`);
		});
		trace.mlp!.forEach((act, l) => {
			const norms = Array.from({length: n}, (_, p) => l2norm(act.subarray(p * trace.inner, (p + 1) * trace.inner)));
			assert.ok(maxAbsDiff(norms, golden.mlp_norm[l]!) <= TOLERANCE, `mlp ${l}`);
		});
		assert.ok(maxAbsDiff(logitsRow(trace, n - 1), golden.logits_last) <= TOLERANCE);
	});

	it('the logit lens (RMSNorm + untied unembedding) equals PyTorch', async () => {
		const lens = await logitLensAll(trace, (rows, count) => model.lensLogits(rows, count), [n - 1], 1);
		lens![0]!.forEach((row, l) => {
			assert.equal(row.top[0]!.id, golden.lens_top1_last[l]);
			assert.ok(Math.abs(row.top[0]!.probability - golden.lens_p_last[l]!) <= TOLERANCE);
		});
	});

	it('KV-cache stepping (rotary positions, grouped key/value cache) equals the full pass', async () => {
		const decoder = new Decoder(model);
		await decoder.prefill(golden.ids.slice(0, 4), WANT_ALL);
		for (let t = 4; t < n; t++) {
			const step = await decoder.step(golden.ids[t]!, WANT_ALL);
			for (let l = 0; l < 2; l++) for (let h = 0; h < 4; h++) {
				assert.ok(maxAbsDiff(attentionRow(step, l, h, t), golden.attention[l]![h]![t]!.slice(0, t + 1)) <= TOLERANCE, `t${t} l${l} h${h}`);
			}
		}
	});
});
