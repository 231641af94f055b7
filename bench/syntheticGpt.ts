/**
 * Build a GPT-2-shaped ONNX graph in TypeScript (onnx-buf), with random weights: the same interface
 * and decomposed-attention structure as torch/Optimum exports (input_ids, attention_mask,
 * position_ids, past_key_values.N.key/value -> logits, present.N.key/value). Used by the bench
 * (a GPT-2-small-sized model, made on demand and never committed) and by tests (a tiny one, to
 * check discovery on a graph that did not come from our torch exporter).
 */
import {create} from '@bufbuild/protobuf';
import {GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, OperatorSetIdProtoSchema, ValueInfoProtoSchema, type ModelProto, type ValueInfoProto} from 'onnx-buf';
import {BOOL, FLOAT, GraphBuilder, INT64, type AttributeValue} from '../source/model/graphBuilder.js';
import {seededRandom} from '../source/model/sampling.js';

export interface GptShape {
	layers: number;
	heads: number;
	width: number;
	vocab: number;
	positions: number;
	seed?: number;
}

export const GPT2_SMALL: GptShape = {layers: 12, heads: 12, width: 768, vocab: 50257, positions: 1024};

export function buildGpt(shape: GptShape): ModelProto {
	const {layers, heads, width: d, vocab, positions} = shape;
	const headDim = d / heads;
	const random = seededRandom(shape.seed ?? 1);
	const normal = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
	// Node names follow the torch exporter's module paths (/h.N/attn/Softmax ...) so name-based checks apply too.
	const b = new GraphBuilder('/synthetic');
	const op = (type: string, inputs: string[], attrs: Record<string, AttributeValue> = {}, name?: string, outputs = 1) => b.op(type, inputs, attrs, {name, outputs});
	const op1 = (type: string, inputs: string[], attrs: Record<string, AttributeValue> = {}, name?: string) => b.op1(type, inputs, attrs, {name});
	const weight = (name: string, dims: number[]) => b.floats(name, dims, Float32Array.from({length: dims.reduce((x, y) => x * y, 1)}, () => 0.02 * normal()));
	const ones = (name: string, n: number) => b.floats(name, [n], new Float32Array(n).fill(1));
	const zeros = (name: string, n: number) => b.floats(name, [n], new Float32Array(n));
	const cZero = b.ints('zero', [0], []);
	const cOne = b.ints('one', [1], []);
	const cAxes0 = b.ints('axes0', [0]);
	const cAxes1 = b.ints('axes1', [1]);
	const cAxes12 = b.ints('axes12', [1, 2]);
	const cSplit = b.ints('split', [d, d, d]);
	const cHeads = b.ints('heads_shape', [0, 0, heads, headDim]);
	const cMerge = b.ints('merge_shape', [0, 0, d]);
	const cScale = b.scalar('scale', 1 / Math.sqrt(headDim));
	const cNeg = b.scalar('neg', -3.4028234663852886e38);
	const cHalf = b.scalar('half', 0.5);
	const cOnef = b.scalar('onef', 1);
	const cSqrt2 = b.scalar('sqrt2', Math.SQRT2);

	const input = (name: string, type: number, dims: Array<string | number>): ValueInfoProto =>
		create(ValueInfoProtoSchema, {
			name,
			type: {value: {case: 'tensorType', value: {elemType: type, shape: {dim: dims.map(x => ({value: typeof x === 'number' ? {case: 'dimValue' as const, value: BigInt(x)} : {case: 'dimParam' as const, value: x}}))}}}},
		});

	// Causal mask over past + new tokens, combined with the padding mask: [batch, 1, t, total].
	const t = op1('Gather', [op1('Shape', ['input_ids']), cOne], {axis: 0});
	const total = op1('Gather', [op1('Shape', ['attention_mask']), cOne], {axis: 0});
	const past = op1('Sub', [total, t]);
	const queryPos = op1('Add', [op1('Unsqueeze', [op1('Range', [cZero, t, cOne]), cAxes1]), past]);
	const keyPos = op1('Unsqueeze', [op1('Range', [cZero, total, cOne]), cAxes0]);
	const causal = op1('LessOrEqual', [keyPos, queryPos]);
	const padding = op1('Unsqueeze', [op1('Cast', ['attention_mask'], {to: BOOL}), cAxes12]);
	const allowed = op1('And', [causal, padding], {}, '/mask/And');

	const wte = weight('wte.weight', [vocab, d]);
	const wpe = weight('wpe.weight', [positions, d]);
	let x = op1('Add', [op1('Gather', [wte, 'input_ids'], {axis: 0}, '/wte/Gather'), op1('Gather', [wpe, 'position_ids'], {axis: 0}, '/wpe/Gather')], {}, '/embed/Add');
	const inputs = [input('input_ids', INT64, ['batch', 'sequence']), input('attention_mask', INT64, ['batch', 'total']), input('position_ids', INT64, ['batch', 'sequence'])];
	const outputs: ValueInfoProto[] = [create(ValueInfoProtoSchema, {name: 'logits'})];
	const nodes = b.nodes;
	const presents: string[] = [];
	const layerNorm = (v: string, name: string) => op1('LayerNormalization', [v, ones(`${name}.weight`, d), zeros(`${name}.bias`, d)], {axis: -1, epsilon: {float: 1e-5}}, `/${name}/LayerNormalization`);
	const linear = (v: string, name: string, inDim: number, outDim: number) =>
		op1('Add', [op1('MatMul', [v, weight(`${name}.weight`, [inDim, outDim])], {}, `/${name}/MatMul`), zeros(`${name}.bias`, outDim)], {}, `/${name}/Add`);

	for (let l = 0; l < layers; l++) {
		const p = `h.${l}`;
		const pastKey = `past_key_values.${l}.key`;
		const pastValue = `past_key_values.${l}.value`;
		inputs.push(input(pastKey, FLOAT, ['batch', heads, 'past', headDim]), input(pastValue, FLOAT, ['batch', heads, 'past', headDim]));
		const qkv = linear(layerNorm(x, `${p}.ln_1`), `${p}.attn.c_attn`, d, 3 * d);
		const [q, k, v] = op('Split', [qkv, cSplit], {axis: 2}, `/${p}/attn/Split`, 3) as [string, string, string];
		const split = (s: string) => op1('Transpose', [op1('Reshape', [s, cHeads])], {perm: [0, 2, 1, 3]});
		const keys = op1('Concat', [pastKey, split(k)], {axis: 2}, `/${p}/attn/ConcatKey`);
		const values = op1('Concat', [pastValue, split(v)], {axis: 2}, `/${p}/attn/ConcatValue`);
		nodes.push(create(NodeProtoSchema, {opType: 'Identity', name: `/${p}/present_key`, input: [keys], output: [`present.${l}.key`]}));
		nodes.push(create(NodeProtoSchema, {opType: 'Identity', name: `/${p}/present_value`, input: [values], output: [`present.${l}.value`]}));
		presents.push(`present.${l}.key`, `present.${l}.value`);
		const scores = op1('Mul', [op1('MatMul', [split(q), op1('Transpose', [keys], {perm: [0, 1, 3, 2]})], {}, `/${p}/attn/MatMul`), cScale]);
		const probs = op1('Softmax', [op1('Where', [allowed, scores, cNeg])], {axis: -1}, `/${p}/attn/Softmax`);
		const context = op1('Reshape', [op1('Transpose', [op1('MatMul', [probs, values], {}, `/${p}/attn/MatMul_1`)], {perm: [0, 2, 1, 3]}), cMerge]);
		x = op1('Add', [x, linear(context, `${p}.attn.c_proj`, d, d)], {}, `/${p}/Add`);
		const h = linear(layerNorm(x, `${p}.ln_2`), `${p}.mlp.c_fc`, d, 4 * d);
		const gelu = op1('Mul', [op1('Mul', [h, cHalf]), op1('Add', [op1('Erf', [op1('Div', [h, cSqrt2])]), cOnef])], {}, `/${p}/mlp/act/Mul`);
		x = op1('Add', [x, linear(gelu, `${p}.mlp.c_proj`, 4 * d, d)], {}, `/${p}/Add_1`);
	}
	const lnf = layerNorm(x, 'ln_f');
	nodes.push(create(NodeProtoSchema, {opType: 'MatMul', name: '/lm_head/MatMul', input: [lnf, op1('Transpose', [wte], {perm: [1, 0]})], output: ['logits']}));
	outputs.push(...presents.map(name => create(ValueInfoProtoSchema, {name})));
	return create(ModelProtoSchema, {
		irVersion: 8n,
		producerName: 'lmscope-synthetic-gpt',
		opsetImport: [create(OperatorSetIdProtoSchema, {domain: '', version: 17n})],
		graph: create(GraphProtoSchema, {name: 'synthetic_gpt', node: nodes, initializer: b.initializers, input: inputs, output: outputs}),
	});
}
