/**
 * The llama-tiny PyTorch reference (test/fixtures/llama-tiny/golden.json) and the checks every
 * export of those weights must pass: the torch/Optimum export itself and the ORT GenAI builder
 * layouts (GroupQueryAttention, MultiHeadAttention, fp16) made from the same weights.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {logitLensAll} from '../source/analysis/logitLens.js';
import {l2norm} from '../source/analysis/traceSummary.js';
import {Decoder} from '../source/model/decoder.js';
import type {LanguageModel} from '../source/model/languageModel.js';
import {WANT_ALL, attentionRow, logitsRow, type Trace} from '../source/model/trace.js';
import {ROOT, TOLERANCE, maxAbsDiff} from './helpers.js';

export const llamaGolden = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'llama-tiny', 'golden.json'), 'utf8')) as {
	ids: number[];
	attention: number[][][][];
	residual_norm: number[][];
	mlp_norm: number[][];
	logits_last: number[];
	lens_top1_last: number[];
	lens_p_last: number[];
};

const LAYERS = 2;
const HEADS = 4;

/** Worst absolute difference of any attention row from PyTorch's. */
export function worstAttention(trace: Trace): number {
	let worst = 0;
	for (let l = 0; l < LAYERS; l++) for (let h = 0; h < HEADS; h++) for (let q = 0; q < llamaGolden.ids.length; q++) {
		worst = Math.max(worst, maxAbsDiff(attentionRow(trace, l, h, q), llamaGolden.attention[l]![h]![q]!));
	}
	return worst;
}

/** Attention, residual norms, MLP norms and last logits against PyTorch, to `tolerance`. */
export function assertInternalsMatch(trace: Trace, tolerance = TOLERANCE): void {
	const n = llamaGolden.ids.length;
	const attention = worstAttention(trace);
	assert.ok(attention <= tolerance, `attention ${attention}`);
	trace.residual!.forEach((stream, l) => {
		const norms = Array.from({length: n}, (_, p) => l2norm(stream.subarray(p * trace.width, (p + 1) * trace.width)));
		assert.ok(maxAbsDiff(norms, llamaGolden.residual_norm[l]!) <= tolerance, `residual ${l}`);
	});
	trace.mlp!.forEach((act, l) => {
		const norms = Array.from({length: n}, (_, p) => l2norm(act.subarray(p * trace.inner, (p + 1) * trace.inner)));
		assert.ok(maxAbsDiff(norms, llamaGolden.mlp_norm[l]!) <= tolerance, `mlp ${l}`);
	});
	assert.ok(maxAbsDiff(logitsRow(trace, n - 1), llamaGolden.logits_last) <= tolerance, 'logits');
}

/** The logit lens at the last token: PyTorch's top-1 token and its probability per layer. */
export async function assertLensMatches(model: LanguageModel, trace: Trace, tolerance = TOLERANCE): Promise<void> {
	const lens = await logitLensAll(trace, (rows, count) => model.lensLogits(rows, count), [llamaGolden.ids.length - 1], 1);
	assert.ok(lens, 'a lens exists');
	lens[0]!.forEach((row, l) => {
		assert.equal(row.top[0]!.id, llamaGolden.lens_top1_last[l]);
		assert.ok(Math.abs(row.top[0]!.probability - llamaGolden.lens_p_last[l]!) <= tolerance);
	});
}

/** KV-cache stepping from 4 tokens on: each new token's attention rows equal PyTorch's. */
export async function assertSteppingMatches(model: LanguageModel, tolerance = TOLERANCE): Promise<void> {
	const decoder = new Decoder(model);
	await decoder.prefill(llamaGolden.ids.slice(0, 4), WANT_ALL);
	for (let t = 4; t < llamaGolden.ids.length; t++) {
		const step = await decoder.step(llamaGolden.ids[t]!, WANT_ALL);
		for (let l = 0; l < LAYERS; l++) for (let h = 0; h < HEADS; h++) {
			assert.ok(maxAbsDiff(attentionRow(step, l, h, t), llamaGolden.attention[l]![h]![t]!.slice(0, t + 1)) <= tolerance, `t${t} l${l} h${h}`);
		}
	}
}
