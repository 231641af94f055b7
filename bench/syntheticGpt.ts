/**
 * Build a GPT-2-shaped ONNX graph in TypeScript (onnx-buf), with random weights: the same interface
 * and decomposed-attention structure as torch/Optimum exports (input_ids, attention_mask,
 * position_ids, past_key_values.N.key/value -> logits, present.N.key/value). Used by the bench
 * (a GPT-2-small-sized model, made on demand and never committed) and by tests (a tiny one, to
 * check discovery on a graph that did not come from our torch exporter).
 */
import {create} from '@bufbuild/protobuf';
import {
	AttributeProto_AttributeType,
	AttributeProtoSchema,
	GraphProtoSchema,
	ModelProtoSchema,
	NodeProtoSchema,
	OperatorSetIdProtoSchema,
	TensorProtoSchema,
	ValueInfoProtoSchema,
	type AttributeProto,
	type ModelProto,
	type NodeProto,
	type TensorProto,
	type ValueInfoProto,
} from 'onnx-buf';
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

const FLOAT = 1;
const INT64 = 7;
const BOOL = 9;

type Attr = number | number[] | string;

export function buildGpt(shape: GptShape): ModelProto {
	const {layers, heads, width: d, vocab, positions} = shape;
	const headDim = d / heads;
	const random = seededRandom(shape.seed ?? 1);
	const normal = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
	const nodes: NodeProto[] = [];
	const inits: TensorProto[] = [];
	let counter = 0;

	const attr = (name: string, value: Attr): AttributeProto => {
		if (typeof value === 'string') return create(AttributeProtoSchema, {name, type: AttributeProto_AttributeType.STRING, s: new TextEncoder().encode(value)});
		if (Array.isArray(value)) return create(AttributeProtoSchema, {name, type: AttributeProto_AttributeType.INTS, ints: value.map(BigInt)});
		if (Number.isInteger(value) && name !== 'epsilon') return create(AttributeProtoSchema, {name, type: AttributeProto_AttributeType.INT, i: BigInt(value)});
		return create(AttributeProtoSchema, {name, type: AttributeProto_AttributeType.FLOAT, f: value});
	};
	const op = (type: string, inputs: string[], attrs: Record<string, Attr> = {}, name?: string, outputs = 1): string[] => {
		const nodeName = name ?? `/${type}_${counter++}`;
		const outs = Array.from({length: outputs}, (_, i) => `${nodeName}_output_${i}`);
		nodes.push(create(NodeProtoSchema, {name: nodeName, opType: type, input: inputs, output: outs, attribute: Object.entries(attrs).map(([k, v]) => attr(k, v))}));
		return outs;
	};
	const op1 = (type: string, inputs: string[], attrs: Record<string, Attr> = {}, name?: string) => op(type, inputs, attrs, name)[0]!;
	const floats = (name: string, dims: number[], fill: (i: number) => number): string => {
		const size = dims.reduce((a, b) => a * b, 1);
		const data = new Float32Array(size);
		for (let i = 0; i < size; i++) data[i] = fill(i);
		inits.push(create(TensorProtoSchema, {name, dims: dims.map(BigInt), dataType: FLOAT, rawData: new Uint8Array(data.buffer)}));
		return name;
	};
	const ints = (name: string, values: number[], dims = [values.length]): string => {
		const data = BigInt64Array.from(values.map(BigInt));
		inits.push(create(TensorProtoSchema, {name, dims: dims.map(BigInt), dataType: INT64, rawData: new Uint8Array(data.buffer)}));
		return name;
	};
	const weight = (name: string, dims: number[]) => floats(name, dims, () => 0.02 * normal());
	const ones = (name: string, n: number) => floats(name, [n], () => 1);
	const zeros = (name: string, n: number) => floats(name, [n], () => 0);
	const scalar = (name: string, value: number) => floats(name, [], () => value);

	const input = (name: string, type: number, dims: Array<string | number>): ValueInfoProto =>
		create(ValueInfoProtoSchema, {
			name,
			type: {value: {case: 'tensorType', value: {elemType: type, shape: {dim: dims.map(x => ({value: typeof x === 'number' ? {case: 'dimValue' as const, value: BigInt(x)} : {case: 'dimParam' as const, value: x}}))}}}},
		});

	// Shared constants.
	ints('c_zero', [0], []);
	ints('c_one', [1], []);
	ints('c_axes0', [0]);
	ints('c_axes1', [1]);
	ints('c_axes12', [1, 2]);
	ints('c_split', [d, d, d]);
	ints('c_heads_shape', [0, 0, heads, headDim]);
	ints('c_merge_shape', [0, 0, d]);
	scalar('c_scale', 1 / Math.sqrt(headDim));
	scalar('c_neg', -3.4028234663852886e38);
	scalar('c_half', 0.5);
	scalar('c_onef', 1);
	scalar('c_sqrt2', Math.SQRT2);

	// Causal mask over past + new tokens, combined with the padding mask: [batch, 1, t, total].
	const t = op1('Gather', [op1('Shape', ['input_ids']), 'c_one'], {axis: 0});
	const total = op1('Gather', [op1('Shape', ['attention_mask']), 'c_one'], {axis: 0});
	const past = op1('Sub', [total, t]);
	const queryPos = op1('Add', [op1('Unsqueeze', [op1('Range', ['c_zero', t, 'c_one']), 'c_axes1']), past]);
	const keyPos = op1('Unsqueeze', [op1('Range', ['c_zero', total, 'c_one']), 'c_axes0']);
	const causal = op1('LessOrEqual', [keyPos, queryPos]);
	const padding = op1('Unsqueeze', [op1('Cast', ['attention_mask'], {to: BOOL}), 'c_axes12']);
	const allowed = op1('And', [causal, padding], {}, '/mask/And');

	const wte = weight('wte.weight', [vocab, d]);
	const wpe = weight('wpe.weight', [positions, d]);
	let x = op1('Add', [op1('Gather', [wte, 'input_ids'], {axis: 0}, '/wte/Gather'), op1('Gather', [wpe, 'position_ids'], {axis: 0}, '/wpe/Gather')], {}, '/embed/Add');
	const inputs = [input('input_ids', INT64, ['batch', 'sequence']), input('attention_mask', INT64, ['batch', 'total']), input('position_ids', INT64, ['batch', 'sequence'])];
	const outputs: ValueInfoProto[] = [create(ValueInfoProtoSchema, {name: 'logits'})];
	const presents: string[] = [];
	const layerNorm = (v: string, name: string) => op1('LayerNormalization', [v, ones(`${name}.weight`, d), zeros(`${name}.bias`, d)], {axis: -1, epsilon: 1e-5}, `/${name}/LayerNormalization`);
	const linear = (v: string, name: string, inDim: number, outDim: number) =>
		op1('Add', [op1('MatMul', [v, weight(`${name}.weight`, [inDim, outDim])], {}, `/${name}/MatMul`), zeros(`${name}.bias`, outDim)], {}, `/${name}/Add`);

	for (let l = 0; l < layers; l++) {
		const p = `h.${l}`;
		const pastKey = `past_key_values.${l}.key`;
		const pastValue = `past_key_values.${l}.value`;
		inputs.push(input(pastKey, FLOAT, ['batch', heads, 'past', headDim]), input(pastValue, FLOAT, ['batch', heads, 'past', headDim]));
		const qkv = linear(layerNorm(x, `${p}.ln_1`), `${p}.attn.c_attn`, d, 3 * d);
		const [q, k, v] = op('Split', [qkv, 'c_split'], {axis: 2}, `/${p}/attn/Split`, 3) as [string, string, string];
		const split = (s: string) => op1('Transpose', [op1('Reshape', [s, 'c_heads_shape'])], {perm: [0, 2, 1, 3]});
		const keys = op1('Concat', [pastKey, split(k)], {axis: 2}, `/${p}/attn/ConcatKey`);
		const values = op1('Concat', [pastValue, split(v)], {axis: 2}, `/${p}/attn/ConcatValue`);
		nodes.push(create(NodeProtoSchema, {opType: 'Identity', name: `/${p}/present_key`, input: [keys], output: [`present.${l}.key`]}));
		nodes.push(create(NodeProtoSchema, {opType: 'Identity', name: `/${p}/present_value`, input: [values], output: [`present.${l}.value`]}));
		presents.push(`present.${l}.key`, `present.${l}.value`);
		const scores = op1('Mul', [op1('MatMul', [split(q), op1('Transpose', [keys], {perm: [0, 1, 3, 2]})], {}, `/${p}/attn/MatMul`), 'c_scale']);
		const probs = op1('Softmax', [op1('Where', [allowed, scores, 'c_neg'])], {axis: -1}, `/${p}/attn/Softmax`);
		const context = op1('Reshape', [op1('Transpose', [op1('MatMul', [probs, values], {}, `/${p}/attn/MatMul_1`)], {perm: [0, 2, 1, 3]}), 'c_merge_shape']);
		x = op1('Add', [x, linear(context, `${p}.attn.c_proj`, d, d)], {}, `/${p}/Add`);
		const h = linear(layerNorm(x, `${p}.ln_2`), `${p}.mlp.c_fc`, d, 4 * d);
		const gelu = op1('Mul', [op1('Mul', [h, 'c_half']), op1('Add', [op1('Erf', [op1('Div', [h, 'c_sqrt2'])]), 'c_onef'])], {}, `/${p}/mlp/act/Mul`);
		x = op1('Add', [x, linear(gelu, `${p}.mlp.c_proj`, 4 * d, d)], {}, `/${p}/Add_1`);
	}
	const lnf = layerNorm(x, 'ln_f');
	nodes.push(create(NodeProtoSchema, {opType: 'MatMul', name: '/lm_head/MatMul', input: [lnf, op1('Transpose', [wte], {perm: [1, 0]})], output: ['logits']}));
	outputs.push(...presents.map(name => create(ValueInfoProtoSchema, {name})));
	return create(ModelProtoSchema, {
		irVersion: 8n,
		producerName: 'lmscope-synthetic-gpt',
		opsetImport: [create(OperatorSetIdProtoSchema, {domain: '', version: 17n})],
		graph: create(GraphProtoSchema, {name: 'synthetic_gpt', node: nodes, initializer: inits, input: inputs, output: outputs}),
	});
}
