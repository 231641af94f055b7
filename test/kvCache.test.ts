/**
 * KV-cache stepping computes the same internals as a full pass: for every prompt, run a prefix,
 * then feed the remaining tokens one at a time with the cache, and compare each step's attention
 * row, residual stream, MLP activation and logits with the golden full pass (PyTorch) and with
 * lmscope's own full pass.
 */
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {l2norm} from '../source/analysis/traceSummary.js';
import {Decoder} from '../source/model/decoder.js';
import {generate} from '../source/model/generate.js';
import {GREEDY} from '../source/model/sampling.js';
import {WANT_ALL, attentionRow, logitsRow} from '../source/model/trace.js';
import {TOLERANCE, defaultModel, goldens, maxAbsDiff} from './helpers.js';

describe('KV-cache stepping', () => {
	for (const golden of goldens()) {
		it(`equals the full pass at every position: ${JSON.stringify(golden.prompt)}`, async () => {
			const model = await defaultModel();
			const full = await model.forward(golden.ids, WANT_ALL);
			const decoder = new Decoder(model);
			await decoder.prefill(golden.ids.slice(0, 2), WANT_ALL);
			for (let t = 2; t < golden.ids.length; t++) {
				const step = await decoder.step(golden.ids[t]!, WANT_ALL);
				assert.equal(step.start, t);
				assert.equal(step.rows, 1);
				for (let l = 0; l < model.info.layers; l++) {
					for (let h = 0; h < step.heads; h++) {
						const row = attentionRow(step, l, h, t);
						assert.equal(row.length, t + 1, 'a step attends over every earlier token and itself');
						assert.ok(maxAbsDiff(row, golden.attention[l]![h]![t]!.slice(0, t + 1)) <= TOLERANCE, `golden attention l${l} h${h} t${t}`);
						assert.ok(maxAbsDiff(row, attentionRow(full, l, h, t).subarray(0, t + 1)) <= TOLERANCE);
					}
				}
				step.residual!.forEach((stream, l) => {
					assert.ok(Math.abs(l2norm(stream) - golden.residual_norm[l]![t]!) <= TOLERANCE, `residual norm l${l} t${t}`);
					assert.ok(maxAbsDiff(stream, full.residual![l]!.subarray(t * full.width, (t + 1) * full.width)) <= TOLERANCE);
				});
				step.mlp!.forEach((act, l) => {
					assert.ok(maxAbsDiff(act, full.mlp![l]!.subarray(t * full.inner, (t + 1) * full.inner)) <= TOLERANCE, `mlp l${l} t${t}`);
				});
				const expected = golden.logits_top5[t]!;
				const logits = logitsRow(step, t);
				assert.ok(maxAbsDiff(expected.ids.map(id => logits[id]!), expected.values) <= TOLERANCE, `logits t${t}`);
			}
		});
	}

	it('a cached step and a full recomputation of the same position agree', async () => {
		const model = await defaultModel();
		const [golden] = goldens();
		const decoder = new Decoder(model);
		await decoder.prefill(golden!.ids.slice(0, -1), WANT_ALL);
		const cached = await decoder.step(golden!.ids.at(-1)!, WANT_ALL);
		const recomputed = await decoder.stepFull(WANT_ALL);
		assert.equal(recomputed.start, cached.start);
		assert.ok(maxAbsDiff(cached.logits, recomputed.logits) <= TOLERANCE);
		cached.attention.forEach((a, l) => assert.ok(maxAbsDiff(a!, recomputed.attention[l]!) <= TOLERANCE));
	});

	it('fetches only what is asked for', async () => {
		const model = await defaultModel();
		const [golden] = goldens();
		const trace = await model.forward(golden!.ids, {logits: 'last', attention: [1]});
		assert.equal(trace.attention[0], undefined);
		assert.ok(trace.attention[1]);
		assert.equal(trace.attention[2], undefined);
		assert.equal(trace.residual, undefined);
		assert.equal(trace.mlp, undefined);
		assert.equal(trace.logits.length, trace.vocabSize, 'only the last logits row');
	});
});

describe('greedy generation with the cache', () => {
	for (const golden of goldens()) {
		it(`matches PyTorch's greedy continuation: ${JSON.stringify(golden.prompt)}`, async () => {
			const model = await defaultModel();
			const ids: number[] = [];
			for await (const token of generate(model, golden.ids, {maxNewTokens: golden.greedy_ids.length, sampling: GREEDY, stopAtEos: false})) {
				ids.push(token.id);
			}
			assert.deepEqual(ids, golden.greedy_ids);
		});
	}
});
