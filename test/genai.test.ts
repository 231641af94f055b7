/**
 * ONNX Runtime GenAI model-builder exports: com.microsoft GroupQueryAttention (rotary inside the
 * operator, do_rotary=1, 2 key/value heads for 4 query heads) and MultiHeadAttention after
 * separate RotaryEmbedding nodes, with SimplifiedLayerNormalization / SkipSimplifiedLayerNormalization
 * carrying the residual stream. models/genai_tiny.py writes the graphs in the builder's layout
 * with the weights of the llama-tiny fixture, so the attention probabilities lmscope recomputes
 * from each operator's inputs are checked against PyTorch's (llama-tiny/golden.json) to 1e-4.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import {before, describe, it} from 'node:test';
import {Decoder} from '../source/model/decoder.js';
import {LanguageModel} from '../source/model/languageModel.js';
import {resolveModel} from '../source/model/resolve.js';
import {WANT_ALL, logitsRow, type Trace} from '../source/model/trace.js';
import {ROOT, TOLERANCE, maxAbsDiff, runCli} from './helpers.js';
import {assertInternalsMatch, assertLensMatches, assertSteppingMatches, llamaGolden as golden, worstAttention} from './llamaGolden.js';

// genai-gqa-packed: one qkv_proj MatMul feeding GQA's query (key/value inputs empty), as the builder writes on CPU.
// genai-mha-bias: the builder's MHA path: KV heads repeated in the graph, the causal mask as an additive attention_bias.
const VARIANTS = [
	['genai-gqa', 'GroupQueryAttention'],
	['genai-gqa-packed', 'GroupQueryAttention'],
	['genai-mha', 'MultiHeadAttention'],
	['genai-mha-bias', 'MultiHeadAttention'],
] as const;

for (const [variant, op] of VARIANTS) {
	const dir = path.join(ROOT, 'test', 'fixtures', variant);
	describe(`ORT GenAI builder export with ${op} (${variant})`, () => {
		let model: LanguageModel;
		let trace: Trace;
		const n = golden.ids.length;
		before(async () => {
			model = await LanguageModel.load(resolveModel(dir));
			trace = await model.forward(golden.ids, WANT_ALL);
		});

		it(`finds both ${op} operators and the skip-norm residual chain`, () => {
			assert.equal(model.map.fused?.attention.length, 2);
			assert.ok(model.map.fused!.attention.every(a => a.op === op));
			assert.equal(model.info.layers, 2);
			assert.equal(trace.heads, 4, 'probabilities per query head');
			assert.match(model.map.layers[0]!.residual, /layers\.1\/input_layernorm\/output_3/, 'the skip norm\'s input + skip sum');
			assert.match(model.map.layers[0]!.mlp, /mlp\/Mul\/output_0/, 'silu(gate) * up');
			assert.match(model.map.notes.join('\n'), new RegExp(`${op} operators`));
		});

		it('recomputed attention probabilities, residual stream, MLP activation and logits equal PyTorch', () => {
			assertInternalsMatch(trace);
		});

		it('the logit lens through the fused final SkipSimplifiedLayerNormalization equals PyTorch', () => assertLensMatches(model, trace));

		it('KV-cache stepping (positions offset by the past) and undo equal the full pass', async () => {
			await assertSteppingMatches(model);
			// Undo two tokens, then redo them one at a time (the builder's MHA mask only takes single-token steps after a past).
			const first = await model.run(golden.ids.slice(0, n - 1), 0, model.emptyCache(), {logits: 'last'});
			let cache = model.truncateCache(first.cache, n - 3);
			let last!: Trace;
			for (let t = n - 3; t < n; t++) {
				const step = await model.run([golden.ids[t]!], t, cache, {logits: 'last'});
				cache = step.cache;
				last = step.trace;
			}
			assert.ok(maxAbsDiff(last.logits, golden.logits_last) <= TOLERANCE);
		});

		it('trace and graph work from the command line', () => {
			const traced = runCli(['trace', '--model', dir, 'In the beginning God created the heaven']);
			assert.equal(traced.code, 0, traced.stderr);
			assert.match(traced.stdout, /2 layers, 4 heads/);
			assert.match(traced.stdout, /block 1 .*h0:/);
			const graph = runCli(['graph', dir]);
			assert.equal(graph.code, 0, graph.stderr);
			assert.match(graph.stdout, new RegExp(`recomputed from each operator's inputs`));
		});
	});
}

describe('ORT GenAI builder export in fp16 (genai-gqa/model_fp16.onnx, --dtype fp16)', () => {
	it('recomputes GroupQueryAttention from float16 inputs: attention to 1e-2 of PyTorch, lens through the fp16 final norm', async () => {
		const model = await LanguageModel.load(resolveModel(path.join(ROOT, 'test', 'fixtures', 'genai-gqa'), undefined, {dtype: 'fp16'}));
		assert.match(model.info.file, /model_fp16\.onnx$/);
		const n = golden.ids.length;
		const trace = await model.forward(golden.ids, WANT_ALL);
		const worst = worstAttention(trace);
		assert.ok(worst <= 1e-2, `attention ${worst}`);
		assert.ok(maxAbsDiff(logitsRow(trace, n - 1), golden.logits_last) <= 2e-2);
		await assertLensMatches(model, trace, 1e-2);
		const decoder = new Decoder(model);
		await decoder.prefill(golden.ids.slice(0, 7), WANT_ALL);
		let step!: Trace;
		for (let t = 7; t < n; t++) step = await decoder.step(golden.ids[t]!, WANT_ALL);
		assert.ok(maxAbsDiff(step.logits, logitsRow(trace, n - 1)) <= 1e-2, 'KV stepping on the float16 cache');
	});
});
