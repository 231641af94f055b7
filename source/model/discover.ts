/**
 * Graph discovery: find each layer's attention probabilities, residual stream and MLP activation
 * in an ONNX graph lmscope did not make. Structure first (it survives renaming), names second
 * (module paths like /h.3/ or /layers.3/), a manifest file last (see manifest.ts).
 *
 * The structural rules, for a pre-norm decoder with decomposed attention:
 * - the residual stream is a chain of Add nodes: each adds a branch computed from its other
 *   input, so one input is an ancestor of the other; walking that chain back from the final norm
 *   reaches the embeddings;
 * - attention probabilities are a Softmax whose input comes from a MatMul of two activations
 *   (Q times transposed K) and whose output feeds a MatMul (with V);
 * - the MLP activation is the activation input of the MLP branch's last weight MatMul (the down
 *   projection), i.e. what sits between the two MLP MatMuls after the nonlinearity.
 */
import {UserError} from '../errors.js';
import type {GraphMap, LayerTensors, ModelInputs} from './graphMap.js';
import {discoverEncoder, isSequenceClassifier} from './discoverEncoder.js';
import {discoverFused, isFusedAttention} from './discoverFused.js';
import {GraphIndex, type NodeProto} from './onnxGraph.js';

const PASS_THROUGH = new Set(['Cast', 'Identity', 'Dropout', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze']);

export interface DiscoveryFailure {
	found: string[];
	missing: string[];
}

export function discoverGraph(index: GraphIndex, file: string): GraphMap {
	const found: string[] = [];
	const missing: string[] = [];
	const fail = (): never => {
		throw new UserError(
			`${file}: graph discovery failed (found: ${found.join(', ') || 'nothing'}; not found: ${missing.join(', ')}); ` +
				'name the tensors in an lmscope.json manifest next to the model (see README, "Graph manifest")',
		);
	};

	const inputs = discoverInputs(index, file);
	const logits = index.outputs.includes('logits') ? 'logits' : index.outputs[0]!;
	found.push(`logits=${logits}`);
	if (index.graph.node.some(isFusedAttention)) return discoverFused(index, file, inputs, logits);
	if (isSequenceClassifier(index, inputs, logits)) return discoverEncoder(index, file, inputs, logits);

	const finalResidual = findFinalResidual(index, logits);
	if (!finalResidual) {
		missing.push('residual stream (no residual Add feeding the final norm)');
		return fail();
	}
	const chain = residualChain(index, finalResidual);
	found.push(`residual chain of ${chain.length - 1} adds`);

	const softmaxes = attentionSoftmaxes(index).filter(s => index.isAncestor(s.output[0]!, finalResidual));
	if (softmaxes.length === 0) {
		missing.push('attention probabilities (no Softmax between a Q.K MatMul and a .V MatMul)');
		return fail();
	}
	found.push(`${softmaxes.length} attention softmaxes`);

	const adds = chain.length - 1;
	const notes: string[] = [];
	let sources: GraphMap['sources'] = {attention: 'structure', residual: 'structure', mlp: 'structure'};
	const nLayers = softmaxes.length;
	let layers: LayerTensors[] | undefined;
	if (adds > 0 && adds % nLayers === 0) {
		layers = layersFromChain(index, chain, softmaxes, adds / nLayers);
	}
	if (!layers) {
		layers = layersFromNames(index, softmaxes);
		if (layers) {
			sources = {attention: 'names', residual: 'names', mlp: 'names'};
			notes.push('layers assigned from node names: the residual chain did not split into equal blocks');
		}
	}
	if (!layers) {
		missing.push(`a split of ${adds} residual adds into ${nLayers} layers`);
		return fail();
	}

	const lens = lensNodes(index, finalResidual, logits);
	const unembedding = findUnembedding(index, lens);
	return {
		task: 'next-token',
		logits,
		embedding: chain[0]!,
		layers,
		sources,
		finalNorm: lens.filter(n => !index.isWeight(n.output[0]!)).map(n => n.name || n.opType),
		unembedding: unembedding ?? '',
		embeddingRows: embeddingRows(index, inputs.inputIds),
		inputs,
		notes,
	};
}

export function discoverInputs(index: GraphIndex, file: string): ModelInputs {
	const names = index.inputs;
	const inputIds = names.find(n => n === 'input_ids') ?? names.find(n => /ids/.test(n) && !/position|type/.test(n));
	if (!inputIds) {
		throw new UserError(`${file}: the graph has no input_ids input (inputs: ${names.join(', ')}); it is not a language model export lmscope can run`);
	}
	const attentionMask = names.find(n => n === 'attention_mask');
	const positionIds = names.find(n => n === 'position_ids');
	const tokenTypeIds = names.find(n => n === 'token_type_ids');
	const elemType = index.declaredType(inputIds)?.elemType ?? 7;
	const cache: ModelInputs['cache'] = [];
	const unknown: string[] = [];
	for (const name of names) {
		if (name === inputIds || name === attentionMask || name === positionIds || name === tokenTypeIds) continue;
		const m = /^past_key_values\.(\d+)\.(key|value)$/.exec(name);
		if (m) {
			const present = `present.${m[1]}.${m[2]}`;
			if (index.outputs.includes(present)) {
				cache.push({past: name, present});
				continue;
			}
		}
		// ONNX Runtime's GPT-2 exports: past_N / present_N, keys and values packed [2, batch, heads, seq, dim].
		const packed = /^past_(\d+)$/.exec(name);
		if (packed && index.outputs.includes(`present_${packed[1]}`)) {
			cache.push({past: name, present: `present_${packed[1]}`});
			continue;
		}
		unknown.push(name);
	}
	return {inputIds, attentionMask, positionIds, tokenTypeIds, integerType: elemType === 6 ? 'int32' : 'int64', cache, cacheSequenceAxis: sequenceAxis(index, cache[0]?.past), unknown};
}

/** The cache's sequence axis: the dimension named like past_seq_len, else the second to last. */
function sequenceAxis(index: GraphIndex, past: string | undefined): number {
	const dims = (past && index.declaredType(past)?.dims) || [];
	const named = dims.findIndex(d => d.value.case === 'dimParam' && /past|seq/i.test(d.value.value));
	return named >= 0 ? named : Math.max(0, dims.length - 2);
}

export function isResidualAdd(index: GraphIndex, node: NodeProto | undefined): boolean {
	if (!node || node.opType !== 'Add' || node.input.length !== 2) return false;
	const [a, b] = node.input as [string, string];
	if (index.isWeight(a) || index.isWeight(b)) return false;
	return index.isAncestor(a, b) || index.isAncestor(b, a);
}

/** The residual stream entering the final norm: the nearest residual Add behind the logits. */
function findFinalResidual(index: GraphIndex, logits: string): string | undefined {
	const queue = [logits];
	const seen = new Set(queue);
	while (queue.length > 0) {
		const tensor = queue.shift()!;
		const node = index.producer.get(tensor);
		if (!node) continue;
		if (isResidualAdd(index, node)) return tensor;
		for (const input of node.input) {
			if (!input || seen.has(input) || index.isWeight(input)) continue;
			seen.add(input);
			queue.push(input);
		}
	}
	return undefined;
}

/** The residual stream from the embeddings to `last`: [embedding, after add 1, ..., last]. */
function residualChain(index: GraphIndex, last: string): string[] {
	const chain = [last];
	let tensor = last;
	for (;;) {
		const node = index.producer.get(tensor);
		if (!node || !isResidualAdd(index, node)) break;
		const [a, b] = node.input as [string, string];
		tensor = index.isAncestor(a, b) ? a : b;
		chain.push(tensor);
	}
	return chain.reverse();
}

/** Softmax nodes that look like attention: Q.K^T MatMul behind, a MatMul with V ahead. */
export function attentionSoftmaxes(index: GraphIndex): NodeProto[] {
	return index.graph.node.filter(node => {
		if (node.opType !== 'Softmax') return false;
		const axis = index.intAttribute(node, 'axis', -1);
		if (axis !== -1 && axis !== 3) return false;
		return feedsActivationMatMul(index, node.output[0]!) && fedByScoreMatMul(index, node.input[0]!);
	});
}

function feedsActivationMatMul(index: GraphIndex, tensor: string, depth = 0): boolean {
	if (depth > 3) return false;
	return index.consumersOf(tensor).some(c => {
		if (c.opType === 'MatMul') return c.input[0] === tensor && !index.isWeight(c.input[1]!);
		return PASS_THROUGH.has(c.opType) && feedsActivationMatMul(index, c.output[0]!, depth + 1);
	});
}

function fedByScoreMatMul(index: GraphIndex, tensor: string, depth = 0): boolean {
	if (depth > 8) return false;
	const node = index.producer.get(tensor);
	if (!node) return false;
	if (node.opType === 'MatMul') return node.input.every(i => !!i && !index.isWeight(i));
	// Scaling, masking and casts between the scores and the softmax.
	if (!['Mul', 'Div', 'Add', 'Sub', 'Where', 'Cast', 'Identity', 'Max', 'Min'].includes(node.opType)) return false;
	return node.input.some(i => !!i && !index.isWeight(i) && fedByScoreMatMul(index, i, depth + 1));
}

function layersFromChain(index: GraphIndex, chain: string[], softmaxes: NodeProto[], perLayer: number): LayerTensors[] | undefined {
	// Which residual add's branch each softmax feeds: the first chain point it is an ancestor of.
	const addOf = (tensor: string) => chain.findIndex((point, j) => j > 0 && index.isAncestor(tensor, point));
	const byLayer = new Map<number, NodeProto>();
	for (const softmax of softmaxes) {
		const j = addOf(softmax.output[0]!);
		if (j < 1 || (j - 1) % perLayer !== 0) return undefined;
		const layer = (j - 1) / perLayer;
		if (byLayer.has(layer)) return undefined;
		byLayer.set(layer, softmax);
	}
	const layers: LayerTensors[] = [];
	for (let layer = 0; layer < softmaxes.length; layer++) {
		const softmax = byLayer.get(layer);
		if (!softmax) return undefined;
		const lastAdd = (layer + 1) * perLayer;
		const residual = chain[lastAdd]!;
		const mlp = perLayer >= 2 ? mlpActivation(index, chain[lastAdd]!, chain[lastAdd - 1]!) : undefined;
		if (!mlp) return undefined;
		layers.push({attention: softmax.output[0]!, residual, mlp});
	}
	return layers;
}

/** The MLP activation in the branch that the residual Add producing `after` adds to `before`. */
function mlpActivation(index: GraphIndex, after: string, before: string): string | undefined {
	const add = index.producer.get(after)!;
	const branch = add.input.find(i => i !== before);
	return branch ? activationBehind(index, branch, before) : undefined;
}

/** Operators that multiply an activation by a weight: float, int8 (quantize_dynamic) and 4-bit (MatMulNBits) weights. */
const WEIGHT_MATMULS = new Set(['MatMul', 'Gemm', 'MatMulInteger', 'MatMulNBits']);

/** Walking back from an MLP branch's output: the activation input of its last weight MatMul. */
export function activationBehind(index: GraphIndex, branch: string, before: string): string | undefined {
	const queue = [branch];
	const seen = new Set(queue);
	while (queue.length > 0) {
		const tensor = queue.shift()!;
		if (tensor === before) continue;
		const node = index.producer.get(tensor);
		if (!node) continue;
		if (WEIGHT_MATMULS.has(node.opType)) {
			const [x, w] = node.input as [string, string];
			if (index.isWeight(w) && !index.isWeight(x)) return floatBeforeQuantization(index, x);
		}
		for (const input of node.input) {
			if (!input || seen.has(input) || index.isWeight(input)) continue;
			seen.add(input);
			queue.push(input);
		}
	}
	return undefined;
}

/** In int8 exports (quantize_dynamic) a MatMulInteger takes the activation quantized per call: the float tensor is the quantizer's input. */
function floatBeforeQuantization(index: GraphIndex, tensor: string): string {
	const producer = index.producer.get(tensor);
	return producer && (producer.opType === 'DynamicQuantizeLinear' || producer.opType === 'QuantizeLinear') && producer.output[0] === tensor ? producer.input[0]! : tensor;
}

const LAYER_IN_NAME = /(?:^|[/.])(?:h|layers?|blocks?|decoder\.layers)[._](\d+)(?=[/.]|$)/;

export function layerFromName(name: string): number | undefined {
	const m = LAYER_IN_NAME.exec(name);
	return m ? Number(m[1]) : undefined;
}

/** Fallback: order softmaxes by the layer number in their node names; residual = last Add of that scope. */
function layersFromNames(index: GraphIndex, softmaxes: NodeProto[]): LayerTensors[] | undefined {
	const layers: LayerTensors[] = [];
	const numbered = softmaxes.map(s => ({s, layer: layerFromName(s.name)}));
	if (numbered.some(n => n.layer === undefined)) return undefined;
	numbered.sort((a, b) => a.layer! - b.layer!);
	for (const [i, {s, layer}] of numbered.entries()) {
		if (layer !== i) return undefined;
		const scope = index.graph.node.filter(n => layerFromName(n.name) === layer);
		const adds = scope.filter(n => isResidualAdd(index, n));
		const last = adds.at(-1);
		if (!last || adds.length < 2) return undefined;
		const mlp = mlpActivation(index, last.output[0]!, adds.at(-2)!.output[0]!);
		if (!mlp) return undefined;
		layers.push({attention: s.output[0]!, residual: last.output[0]!, mlp});
	}
	return layers;
}

/** Nodes that turn the final residual into logits (final norm + unembedding), in graph order. */
export function lensNodes(index: GraphIndex, finalResidual: string, logits: string): NodeProto[] {
	const needed = new Set<NodeProto>();
	const stack = [logits];
	const seen = new Set<string>();
	while (stack.length > 0) {
		const tensor = stack.pop()!;
		if (tensor === finalResidual || seen.has(tensor) || index.initializers.has(tensor)) continue;
		seen.add(tensor);
		const node = index.producer.get(tensor);
		if (!node) {
			if (index.inputs.includes(tensor)) return []; // logits depend on more than the residual
			continue;
		}
		needed.add(node);
		for (const input of node.input) if (input) stack.push(input);
	}
	return index.graph.node.filter(n => needed.has(n));
}

export function findUnembedding(index: GraphIndex, lens: NodeProto[]): string | undefined {
	for (const node of [...lens].reverse()) {
		if (!WEIGHT_MATMULS.has(node.opType)) continue;
		for (const input of node.input.slice(0, 2)) {
			const init = input ? index.weightInitializer(input) : undefined;
			if (init) return init.name;
		}
	}
	return undefined;
}

export function embeddingRows(index: GraphIndex, inputIds: string): number {
	for (const node of index.consumersOf(inputIds)) {
		// Through a Cast (ORT exports cast int32 ids), to a Gather or a fused EmbedLayerNormalization.
		if (node.opType === 'Cast') {
			const rows = embeddingRows(index, node.output[0]!);
			if (rows) return rows;
		}
		const weight = node.opType === 'Gather' ? node.input[0] : node.opType === 'EmbedLayerNormalization' ? node.input[2] : undefined;
		const init = weight ? index.weightInitializer(weight) : undefined;
		if (init && init.dims.length === 2) return Number(init.dims[0]);
	}
	return 0;
}
