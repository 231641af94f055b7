/**
 * Faithfulness: lmscope's internals for the default model equal the PyTorch model it was exported
 * from (models/export.py computes the golden files with the torch module, not with ONNX), to 1e-4.
 */
import assert from 'node:assert/strict';
import {before, describe, it} from 'node:test';
import type {LanguageModel} from '../source/model/languageModel.js';
import {logitLensAll} from '../source/analysis/logitLens.js';
import {softmax} from '../source/analysis/distribution.js';
import {l2norm} from '../source/analysis/traceSummary.js';
import {WANT_ALL, attentionRow, logitsRow, type Trace} from '../source/model/trace.js';
import {TOLERANCE, defaultModel, goldens, maxAbsDiff} from './helpers.js';

for (const golden of goldens()) {
	describe(`golden: ${JSON.stringify(golden.prompt)}`, () => {
		let model: LanguageModel;
		let trace: Trace;
		const n = golden.ids.length;
		before(async () => {
			model = await defaultModel();
			trace = await model.forward(golden.ids, WANT_ALL);
		});

		it('tokenizes like the training tokenizer', () => {
			assert.deepEqual(model.encode(golden.prompt), golden.ids);
		});

		it('logits top-5 at every position', () => {
			for (let p = 0; p < n; p++) {
				const row = logitsRow(trace, p);
				const expected = golden.logits_top5[p]!;
				assert.ok(maxAbsDiff(expected.ids.map(id => row[id]!), expected.values) <= TOLERANCE, `position ${p}`);
				const ranked = Array.from(row.keys()).sort((a, b) => row[b]! - row[a]!).slice(0, 5);
				assert.deepEqual(ranked, expected.ids, `top-5 ids at position ${p}`);
			}
		});

		it('attention probabilities of every layer and head', () => {
			for (let l = 0; l < model.info.layers; l++) {
				for (let h = 0; h < trace.heads; h++) {
					for (let q = 0; q < n; q++) {
						const diff = maxAbsDiff(attentionRow(trace, l, h, q), golden.attention[l]![h]![q]!);
						assert.ok(diff <= TOLERANCE, `layer ${l} head ${h} query ${q}: ${diff}`);
					}
				}
			}
		});

		it('residual stream norms per layer and position', () => {
			assert.equal(trace.residual!.length, golden.residual_norm.length);
			trace.residual!.forEach((stream, l) => {
				const norms = Array.from({length: n}, (_, p) => l2norm(stream.subarray(p * trace.width, (p + 1) * trace.width)));
				assert.ok(maxAbsDiff(norms, golden.residual_norm[l]!) <= TOLERANCE, `layer ${l}`);
			});
		});

		it('MLP activation statistics per layer and position', () => {
			trace.mlp!.forEach((act, l) => {
				const g = golden.mlp[l]!;
				const rows = Array.from({length: n}, (_, p) => act.subarray(p * trace.inner, (p + 1) * trace.inner));
				const mean = rows.map(r => r.reduce((s, v) => s + v, 0) / r.length);
				const max = rows.map(r => Math.max(...r));
				assert.ok(maxAbsDiff(mean, g.mean) <= TOLERANCE, `mean, layer ${l}`);
				assert.ok(maxAbsDiff(max, g.max) <= TOLERANCE, `max, layer ${l}`);
				assert.ok(maxAbsDiff(rows.map(l2norm), g.norm) <= TOLERANCE, `norm, layer ${l}`);
				const last = rows.at(-1)!;
				assert.ok(maxAbsDiff(g.last_top5.ids.map(i => last[i]!), g.last_top5.values) <= TOLERANCE, `last-token top neurons, layer ${l}`);
			});
		});

		it('logit lens top-5 per layer and position', async () => {
			const positions = Array.from({length: n}, (_, p) => p);
			const lens = await logitLensAll(trace, (rows, count) => model.lensLogits(rows, count), positions, 5);
			assert.ok(lens, 'the default model has a separable final norm + unembedding');
			golden.logit_lens_top5.forEach((layerRows, l) => {
				layerRows.forEach((expected, p) => {
					const got = lens[p]![l]!.top;
					assert.ok(maxAbsDiff(got.map(c => c.probability), expected.values) <= TOLERANCE, `layer ${l} position ${p}`);
					// Ids must agree except where two probabilities tie within tolerance.
					got.forEach((c, i) => {
						if (c.id !== expected.ids[i]) assert.ok(Math.abs(c.probability - expected.values[i]!) <= TOLERANCE);
					});
				});
			});
			// The last lens row is the model's own prediction.
			const finalRow = softmax(logitsRow(trace, n - 1));
			assert.ok(Math.abs(lens[n - 1]!.at(-1)!.top[0]!.probability - Math.max(...finalRow)) <= 1e-6);
		});
	});
}
