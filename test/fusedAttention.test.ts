/**
 * A real ONNX Runtime transformer-optimizer export with fused operators (the shared fixture
 * ortgenai-tiny-gpt2: com.microsoft Attention, EmbedLayerNormalization, SkipLayerNormalization,
 * FastGelu). Its attention probabilities exist only inside the Attention operator; lmscope
 * recomputes them from the operator's inputs. Checked two ways: against an independent
 * computation in TypeScript from the operator's input, weights and present keys, and by
 * multiplying them with the operator's values, which must give the operator's own output.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {before, describe, it} from 'node:test';
import * as ort from 'onnxruntime-node';
import {create} from '@bufbuild/protobuf';
import {GraphProtoSchema, ModelProtoSchema} from 'onnx-buf';
import {Decoder} from '../source/model/decoder.js';
import {instrumentModel} from '../source/model/instrument.js';
import {LanguageModel} from '../source/model/languageModel.js';
import {loadGraph} from '../source/model/loadGraph.js';
import {serializeModel, untypedOutput, GraphIndex} from '../source/model/onnxGraph.js';
import {resolveModel} from '../source/model/resolve.js';
import {WANT_ALL, attentionRow} from '../source/model/trace.js';
import {SHARED_FIXTURES, maxAbsDiff, runCli} from './helpers.js';
import type {PackedQkvAttention} from '../source/model/graphMap.js';

const DIR = path.join(SHARED_FIXTURES, 'foreign', 'ortgenai-tiny-gpt2');
const ONNX = path.join(DIR, 'past.onnx');
const SKIP = fs.existsSync(ONNX) ? false : `the shared fixture ${ONNX} is absent (a user's clone has no ../shared)`;
// Short, common GPT-2 pieces whose ids fit the model's 1,000-row embedding.
const PROMPT = ' the a, b c the a';

function floats(index: GraphIndex, name: string): Float32Array {
	const t = index.initializers.get(name)!;
	const bytes = new Uint8Array(t.rawData);
	return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

describe('fused attention (ORT transformer optimizer export)', {skip: SKIP}, () => {
	let model: LanguageModel;
	before(async () => {
		model = await LanguageModel.load(resolveModel(ONNX));
	});

	it('is discovered: 5 layers, recomputed attention, residual stream from the skip norms', () => {
		assert.equal(model.info.layers, 5);
		assert.equal(model.info.heads, 4);
		assert.equal(model.info.width, 32);
		assert.equal(model.map.fused?.attention.length, 5);
		assert.equal(model.map.embedding, 'EmbedLayerNormalization_0_embedding_sum');
		assert.equal(model.map.layers[0]!.residual, '/transformer/h.0/Add_1_output_0');
		assert.equal(model.map.layers[4]!.residual, 'lmscope/residual/SkipLayerNorm_AddBias_9', 'the last residual is named by lmscope');
	});

	it('recomputed probabilities equal an independent computation and reproduce the operator\'s output', async () => {
		const {proto, index, map} = loadGraph({onnx: ONNX});
		const instrumented = instrumentModel(proto, map, index);
		const attentionOutputs = proto.graph!.node.filter(n => n.opType === 'Attention').map(n => n.output[0]!);
		const inputs = proto.graph!.node.filter(n => n.opType === 'Attention').map(n => n.input[0]!);
		const withExtra = create(ModelProtoSchema, {...instrumented, graph: create(GraphProtoSchema, {...instrumented.graph!, output: [...instrumented.graph!.output, ...[...attentionOutputs, ...inputs].map(untypedOutput)]})});
		const session = await ort.InferenceSession.create(serializeModel(withExtra), {logSeverityLevel: 3});
		const ids = model.encode(PROMPT);
		const s = ids.length;
		const int32 = (values: number[]) => new ort.Tensor('int32', Int32Array.from(values), [1, values.length]);
		const feeds: Record<string, ort.Tensor> = {input_ids: int32(ids), position_ids: int32(ids.map((_, i) => i)), attention_mask: int32(ids.map(() => 1))};
		for (let l = 0; l < 5; l++) feeds[`past_${l}`] = new ort.Tensor('float32', new Float32Array(0), [2, 1, 4, 0, 8]);
		const out = await session.run(feeds);
		const heads = 4;
		const d = 8;
		const hidden = 32;
		map.fused!.attention.forEach((fused, l) => {
			const a = fused as PackedQkvAttention;
			const probs = out[a.probabilities]!.data as Float32Array; // [1, h, s, s]
			const present = out[a.present]!.data as Float32Array; // [2, 1, h, s, d]
			const x = out[inputs[l]!]!.data as Float32Array; // [1, s, hidden]
			const w = floats(index, a.weight); // [hidden, 3 hidden]
			const bias = floats(index, a.bias);
			// Independent: Q from the operator's input and weights, K from present, causal softmax.
			const expected = new Float32Array(heads * s * s);
			for (let h = 0; h < heads; h++) {
				for (let i = 0; i < s; i++) {
					const q = Array.from({length: d}, (_, e) => {
						let sum = bias[h * d + e]!;
						for (let c = 0; c < hidden; c++) sum += x[i * hidden + c]! * w[c * 3 * hidden + h * d + e]!;
						return sum;
					});
					const scores = Array.from({length: i + 1}, (_, j) => q.reduce((acc, qe, e) => acc + qe * present[(h * s + j) * d + e]!, 0) / Math.sqrt(d));
					const max = Math.max(...scores);
					const exps = scores.map(v => Math.exp(v - max));
					const z = exps.reduce((a2, b2) => a2 + b2, 0);
					exps.forEach((v, j) => (expected[(h * s + i) * s + j] = v / z));
				}
			}
			assert.ok(maxAbsDiff(probs, expected) <= 1e-4, `layer ${l}: ${maxAbsDiff(probs, expected)}`);
			// probabilities x V, heads merged, equals what the Attention operator output.
			const v = present.subarray(heads * s * d); // present[1]
			const opOut = out[attentionOutputs[l]!]!.data as Float32Array; // [1, s, h*d]
			const mine = new Float32Array(s * hidden);
			for (let h = 0; h < heads; h++) for (let i = 0; i < s; i++) for (let e = 0; e < d; e++) {
				let sum = 0;
				for (let j = 0; j < s; j++) sum += probs[(h * s + i) * s + j]! * v[(h * s + j) * d + e]!;
				mine[i * hidden + h * d + e] = sum;
			}
			assert.ok(maxAbsDiff(mine, opOut) <= 1e-4, `layer ${l}: probabilities x V vs the operator's output: ${maxAbsDiff(mine, opOut)}`);
		});
	});

	it('KV-cache stepping with the packed past equals the full pass, and the lens reproduces the logits', async () => {
		const ids = model.encode(PROMPT);
		const full = await model.forward(ids, WANT_ALL);
		const decoder = new Decoder(model);
		await decoder.prefill(ids.slice(0, 3), WANT_ALL);
		for (let t = 3; t < ids.length; t++) {
			const step = await decoder.step(ids[t]!, WANT_ALL);
			for (let l = 0; l < 5; l++) for (let h = 0; h < 4; h++) {
				assert.ok(maxAbsDiff(attentionRow(step, l, h, t), attentionRow(full, l, h, t).subarray(0, t + 1)) <= 1e-4, `t${t} l${l} h${h}`);
			}
			assert.ok(maxAbsDiff(step.residual![5]!, full.residual![5]!.subarray(t * 32, (t + 1) * 32)) <= 1e-4);
		}
		// Undo works on the packed [2, batch, heads, seq, dim] cache too.
		decoder.truncate(ids.length - 1);
		const again = await decoder.step(ids.at(-1)!, WANT_ALL);
		assert.ok(maxAbsDiff(again.logits, full.logits.subarray((ids.length - 1) * 1000)) <= 1e-4);
		const lens = await model.lensLogits(full.residual![5]!, ids.length);
		assert.ok(lens, 'the fused final norm gives a lens');
		assert.ok(maxAbsDiff(lens, full.logits) <= 1e-4, 'the lens of the last residual is the model output');
	});

	it('a prompt with words beyond the 1,000-row embedding is a clear error', () => {
		const result = runCli(['trace', 'Egypt Pharaoh Jerusalem', '--model', ONNX]);
		assert.equal(result.code, 2);
		assert.match(result.stderr, /tokenizer\.json does not match .*past\.onnx: token ".*" has id \d+ but the model's vocabulary has 1000 tokens/);
	});

	it('lmscope trace and graph work on it', () => {
		const trace = runCli(['trace', PROMPT, '--model', ONNX, '--json']);
		assert.equal(trace.code, 0, trace.stderr);
		assert.equal(JSON.parse(trace.stdout).layers.length, 6);
		const graph = runCli(['graph', ONNX]);
		assert.match(graph.stdout, /attention probabilities: lmscope\/attention\/0\/probabilities/);
		assert.match(graph.stdout, /probabilities recomputed from each operator's inputs/);
	});
});
