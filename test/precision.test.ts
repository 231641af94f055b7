/**
 * fp16, int8 and 4-bit exports of the default model (models/precision.py writes them the way
 * Optimum's fp16 conversion, ONNX Runtime's quantize_dynamic and its MatMulNBits quantizer do).
 * Internal values come back in float32 and are checked against the PyTorch goldens of the fp32
 * model: fp16 to 1e-2 (fp16 keeps ~3 significant digits), int8 and 4-bit to looser stated bounds
 * (weights rounded to 1/127 or 1/8 of their range; int8 also quantizes activations per call).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {before, describe, it} from 'node:test';
import {logitLensAll} from '../source/analysis/logitLens.js';
import {l2norm} from '../source/analysis/traceSummary.js';
import {floatToHalf, halfToFloat} from '../source/model/float16.js';
import {LanguageModel} from '../source/model/languageModel.js';
import {resolveModel} from '../source/model/resolve.js';
import {WANT_ALL, attentionRow, logitsRow, type Trace} from '../source/model/trace.js';
import {DEFAULT_MODEL, ROOT, goldens, maxAbsDiff, runCli, tempDir} from './helpers.js';

const PRECISION = path.join(ROOT, 'test', 'fixtures', 'precision');

/** A folder laid out like a Hub ONNX repo holding the default model in three precisions. */
function precisionFolder(): string {
	const dir = tempDir('precision');
	fs.mkdirSync(path.join(dir, 'onnx'));
	for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(DEFAULT_MODEL, file), path.join(dir, file));
	fs.copyFileSync(path.join(DEFAULT_MODEL, 'model.onnx'), path.join(dir, 'onnx', 'model.onnx'));
	for (const file of ['model_fp16.onnx', 'model_quantized.onnx', 'model_q4.onnx']) fs.copyFileSync(path.join(PRECISION, file), path.join(dir, 'onnx', file));
	return dir;
}

describe('half precision conversion', () => {
	it('every half bit pattern survives half -> float -> half', () => {
		for (let bits = 0; bits < 0x10000; bits++) {
			const value = halfToFloat(bits);
			if (Number.isNaN(value)) continue;
			assert.equal(floatToHalf(value), bits, `0x${bits.toString(16)}`);
		}
	});

	it('rounds to nearest, ties to even, and overflows to infinity', () => {
		assert.equal(floatToHalf(1), 0x3c00);
		assert.equal(floatToHalf(65504), 0x7bff);
		assert.equal(floatToHalf(65520), 0x7c00, 'halfway past the largest half rounds up to infinity');
		assert.equal(floatToHalf(2 ** -24), 0x0001, 'smallest subnormal');
		assert.equal(floatToHalf(2 ** -25), 0x0000, 'a tie below it rounds to even (zero)');
		assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00, 'tie between 1 and the next half goes to the even one');
		assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02);
		assert.equal(floatToHalf(-2), 0xc000);
		assert.equal(halfToFloat(0x3555), 0.333251953125);
	});
});

const goldenCases = goldens();

/** Bounds per precision: attention and lens probabilities (absolute), norms (relative), a KV step vs the full pass, logits vs fp32. */
const BOUNDS = {
	fp16: {file: /model_fp16\.onnx$/, attention: 1e-2, residual: 0.01, mlp: 0.02, lens: 1e-2, step: 1e-2, logits: 0.05, cache: 'float16'},
	q8: {file: /model_quantized\.onnx$/, attention: 5e-2, residual: 0.01, mlp: 0.02, lens: 5e-2, step: 0.5, logits: 0.5, cache: 'float32'},
	// Weight-only 4-bit: coarser weights, but activations are not quantized, so a step equals the full pass.
	q4: {file: /model_q4\.onnx$/, attention: 0.1, residual: 0.05, mlp: 0.1, lens: 0.15, step: 1e-3, logits: 2, cache: 'float32'},
} as const;

for (const dtype of ['fp16', 'q8', 'q4'] as const) {
	const bounds = BOUNDS[dtype];
	const tolerance = bounds.attention;
	describe(`default model in ${dtype}`, () => {
		let model: LanguageModel;
		let reference: LanguageModel;
		const golden = goldenCases[0]!;
		const n = golden.ids.length;
		let trace: Trace;
		before(async () => {
			const dir = precisionFolder();
			model = await LanguageModel.load(resolveModel(dir, undefined, {dtype}));
			reference = await LanguageModel.load(resolveModel(DEFAULT_MODEL));
			trace = await model.forward(golden.ids, WANT_ALL);
		});

		it(`takes the ${dtype} file from the folder`, () => {
			assert.match(model.info.file, bounds.file);
		});

		it(`attention probabilities equal PyTorch's fp32 values to ${tolerance}`, () => {
			let worst = 0;
			for (let l = 0; l < 4; l++) for (let h = 0; h < 4; h++) for (let q = 0; q < n; q++) {
				worst = Math.max(worst, maxAbsDiff(attentionRow(trace, l, h, q), golden.attention[l]![h]![q]!));
			}
			assert.ok(worst <= tolerance, `worst ${worst}`);
			assert.ok(trace.attention[0] instanceof Float32Array, 'returned as float32');
		});

		it(`residual norms (${bounds.residual * 100}%), MLP norms (${bounds.mlp * 100}%, relative) and the top-1 token equal the fp32 values`, () => {
			trace.residual!.forEach((stream, l) => {
				const norms = Array.from({length: n}, (_, p) => l2norm(stream.subarray(p * trace.width, (p + 1) * trace.width)));
				norms.forEach((v, p) => assert.ok(Math.abs(v - golden.residual_norm[l]![p]!) <= bounds.residual * golden.residual_norm[l]![p]!, `residual ${l} ${p}: ${v}`));
			});
			trace.mlp!.forEach((act, l) => {
				const norms = Array.from({length: n}, (_, p) => l2norm(act.subarray(p * trace.inner, (p + 1) * trace.inner)));
				norms.forEach((v, p) => assert.ok(Math.abs(v - golden.mlp[l]!.norm[p]!) <= bounds.mlp * golden.mlp[l]!.norm[p]!, `mlp ${l} ${p}: ${v}`));
			});
			for (let p = 0; p < n; p++) {
				const row = logitsRow(trace, p);
				const top = golden.logits_top5[p]!;
				assert.equal(row.indexOf(Math.max(...row)), top.ids[0], `top-1 at ${p}`);
			}
		});

		it('the logit lens runs in the model\'s precision and agrees with the fp32 lens', async () => {
			const positions = Array.from({length: n}, (_, p) => p);
			const lens = await logitLensAll(trace, (rows, count) => model.lensLogits(rows, count), positions, 5);
			assert.ok(lens);
			golden.logit_lens_top5.forEach((layerRows, l) => {
				layerRows.forEach((expected, p) => {
					const got = lens[p]![l]!.top[0]!;
					assert.ok(Math.abs(got.probability - expected.values[0]!) <= bounds.lens, `layer ${l} position ${p}: ${got.probability} vs ${expected.values[0]}`);
				});
			});
		});

		it('KV-cache stepping and undo work on the precision\'s cache', async () => {
			const prefix = golden.ids.slice(0, n - 2);
			const first = await model.run(prefix, 0, model.emptyCache(), {logits: 'last'});
			const stepped = await model.run(golden.ids.slice(n - 2), n - 2, first.cache, {logits: 'last'});
			const full = await model.forward(golden.ids, {logits: 'last'});
			// int8 quantizes activations per call, so a step differs from a full pass more than the others do.
			assert.ok(maxAbsDiff(stepped.trace.logits, full.logits) <= bounds.step);
			const truncated = model.truncateCache(stepped.cache, n - 2);
			assert.equal(truncated[0]!.type, bounds.cache);
			const again = await model.run(golden.ids.slice(n - 2), n - 2, truncated, {logits: 'last'});
			assert.deepEqual(again.trace.logits, stepped.trace.logits, 'undo then redo gives the same numbers');
		});

		it('instrumentation leaves the logits exactly as the plain export computes them', async () => {
			const plain = await model.forwardPlain(golden.ids);
			assert.deepEqual(Array.from(plain), Array.from(trace.logits));
			const fp32 = await reference.forward(golden.ids);
			assert.ok(maxAbsDiff(fp32.logits, trace.logits) <= bounds.logits);
		});
	});
}

describe('precision from the command line', () => {
	it('trace --dtype fp16, q8 and q4 on a folder with all four files', () => {
		const dir = precisionFolder();
		for (const dtype of ['fp16', 'q8', 'q4']) {
			const result = runCli(['trace', '--model', dir, '--dtype', dtype, 'In the beginning God created']);
			assert.equal(result.code, 0, result.stderr);
			assert.match(result.stdout, /next token after "ed" \(entropy [\d.]+ nats\):\n +1\. ","/, 'the fp32 model\'s top-1 too');
		}
		const missing = runCli(['trace', '--model', dir, '--dtype', 'bnb4', 'x']);
		assert.equal(missing.code, 2);
		assert.match(missing.stderr, /has no model_bnb4\.onnx or onnx\/model_bnb4\.onnx or onnx\/decoder_model_bnb4\.onnx for --dtype bnb4/);
	});
});
