/**
 * Discovery in graphs where attention, layer norms and the residual adds are fused operators:
 * ONNX Runtime's transformer optimizer (com.microsoft Attention, EmbedLayerNormalization,
 * SkipLayerNormalization, FastGelu/BiasGelu) and the ORT GenAI model builder (MultiHeadAttention or
 * GroupQueryAttention, RotaryEmbedding, SimplifiedLayerNormalization and
 * SkipSimplifiedLayerNormalization). Attention probabilities are not a tensor there: they are
 * recomputed from each operator's own inputs (recomputeAttention.ts; instrument.ts adds the nodes),
 * and the residual stream is the optional "input + skip + bias" output of each skip norm, which
 * instrumentation names when the exporter left it unnamed.
 */
import {UserError} from '../errors.js';
import {activationBehind, embeddingRows, findUnembedding, lensNodes} from './discover.js';
import type {FusedAttention, FusedPlan, GraphMap, LayerTensors, ModelInputs} from './graphMap.js';
import type {GraphIndex, NodeProto} from './onnxGraph.js';

const SKIP_NORMS = new Set(['SkipLayerNormalization', 'SkipSimplifiedLayerNormalization']);

const FUSED_ATTENTION = new Set(['Attention', 'MultiHeadAttention', 'GroupQueryAttention']);

export function isFusedAttention(node: NodeProto): boolean {
	return FUSED_ATTENTION.has(node.opType) && node.domain === 'com.microsoft';
}

function floatAttribute(node: NodeProto, name: string): number | undefined {
	const attr = node.attribute.find(a => a.name === name);
	return attr ? attr.f : undefined;
}

export function discoverFused(index: GraphIndex, file: string, inputs: ModelInputs, logits: string): GraphMap {
	const nodes = index.graph.node;
	const position = new Map(nodes.map((n, i) => [n, i]));
	const expose: FusedPlan['expose'] = [];
	const fail = (what: string): never => {
		throw new UserError(`${file}: fused-attention graph, but ${what}; name the tensors in an lmscope.json manifest next to the model (see README, "Graph manifest")`);
	};
	/** The residual sum output (slot 3) of a skip norm, named if the exporter left it out. */
	const residualOf = (node: NodeProto): string => {
		const existing = node.output[3];
		if (existing) return existing;
		const tensor = `lmscope/residual/${node.name || position.get(node)}`;
		expose.push({node: position.get(node)!, slot: 3, tensor});
		return tensor;
	};
	const skipNorms = nodes.filter(n => SKIP_NORMS.has(n.opType));
	const attentionNodes = nodes.filter(isFusedAttention);
	const layers: LayerTensors[] = [];
	const attention: FusedAttention[] = [];
	let embedding: string | undefined;
	let finalNorm: FusedPlan['finalNorm'];
	attentionNodes.forEach((node, layer) => {
		const name = node.name || `Attention #${layer}`;
		// The skip norm that adds this attention's output to the residual stream, then the one that adds the MLP's.
		const afterAttention = skipNorms.find(n => n.input.slice(0, 2).some(i => i && index.isAncestor(node.output[0]!, i)));
		if (!afterAttention) return fail(`no SkipLayerNormalization adds the output of ${name} to the residual stream`);
		const middle = residualOf(afterAttention);
		const branchIndex = afterAttention.input.slice(0, 2).findIndex(i => i && index.isAncestor(node.output[0]!, i));
		if (layer === 0) embedding = exposeEmbedding(index, afterAttention.input[1 - branchIndex]!, position, expose);
		const afterMlp = skipNorms.find(n => n !== afterAttention && (n.input[0] === middle || n.input[1] === middle || (afterAttention.output[3] === undefined && n.input.slice(0, 2).some(i => i && index.isAncestor(afterAttention.output[0]!, i)))));
		if (!afterMlp) return fail(`no SkipLayerNormalization closes the MLP of layer ${layer}`);
		const residual = residualOf(afterMlp);
		const mlpBranch = afterMlp.input.slice(0, 2).find(i => i && i !== middle && !index.isAncestor(i, afterAttention.output[0]!) && index.isAncestor(afterAttention.output[0]!, i));
		const mlp = mlpBranch ? activationBehind(index, mlpBranch, afterAttention.output[0]!) : undefined;
		if (!mlp) return fail(`no MLP activation found in layer ${layer}`);
		const probabilities = `lmscope/attention/${layer}/probabilities`;
		attention.push(describeAttention(index, node, name, probabilities, fail));
		layers.push({attention: probabilities, residual, mlp});
		if (layer === attentionNodes.length - 1 && index.isAncestor(afterMlp.output[0]!, logits)) {
			finalNorm = {
				op: afterMlp.opType,
				domain: afterMlp.domain,
				gamma: afterMlp.input[2]!,
				beta: afterMlp.opType === 'SkipLayerNormalization' ? afterMlp.input[3] || undefined : undefined,
				epsilon: floatAttribute(afterMlp, 'epsilon') ?? 1e-5,
				output: afterMlp.output[0]!,
			};
		}
	});
	const last = layers.at(-1)!.residual;
	const lens = finalNorm ? lensNodes(index, finalNorm.output, logits) : lensNodes(index, last, logits);
	return {
		task: 'next-token',
		logits,
		embedding: embedding!,
		layers,
		sources: {attention: 'structure', residual: 'structure', mlp: 'structure'},
		finalNorm: [...(finalNorm ? [`${finalNorm.op} (fused with the last residual add)`] : []), ...lens.map(n => n.name || n.opType)],
		unembedding: findUnembedding(index, lens) ?? '',
		embeddingRows: embeddingRows(index, inputs.inputIds),
		inputs,
		notes: [`fused attention (${attentionNodes.length} com.microsoft ${[...new Set(attentionNodes.map(n => n.opType))].join('/')} operators): probabilities recomputed from each operator's inputs`],
		fused: {attention, expose, finalNorm},
	};
}

/** What recomputing one fused operator's probabilities needs, read from its inputs and attributes. */
function describeAttention(index: GraphIndex, node: NodeProto, name: string, probabilities: string, fail: (what: string) => never): FusedAttention {
	const heads = index.intAttribute(node, 'num_heads', 0);
	const scale = floatAttribute(node, 'scale') || undefined;
	const maskFilterValue = floatAttribute(node, 'mask_filter_value') ?? -10000;
	const common = {node: name, heads, scale, maskFilterValue, probabilities};
	const input = (i: number) => node.input[i] || undefined;
	if (heads <= 0) return fail(`${name} has no num_heads attribute`);
	if (node.opType === 'Attention') {
		const [hidden, weight, bias, mask] = [input(0), input(1), input(2), input(3)];
		if (!hidden || !weight || !bias || !node.output[1]) return fail(`${name} lacks its packed QKV weight, bias or present output (needed to recompute its probabilities)`);
		return {...common, op: 'Attention', input: hidden, weight, bias, mask, present: node.output[1]!, unidirectional: index.intAttribute(node, 'unidirectional', 0) === 1};
	}
	if (node.opType === 'MultiHeadAttention') {
		const query = input(0);
		const present = node.output[1] || undefined;
		const key = present ?? input(1);
		if (!query || !key || !input(1)) return fail(`${name} has packed or missing key input (lmscope recomputes MultiHeadAttention from separate query and key inputs)`);
		return {
			...common,
			op: 'MultiHeadAttention',
			query,
			key,
			keyIsPresent: present !== undefined,
			keyPaddingMask: input(4),
			attentionBias: input(5),
			unidirectional: index.intAttribute(node, 'unidirectional', 0) === 1,
		};
	}
	const query = input(0);
	const present = node.output[1] || undefined;
	if (!query || !present) return fail(`${name} has no query input or present key output (needed to recompute its probabilities)`);
	const rotary = index.intAttribute(node, 'do_rotary', 0) === 1;
	if (rotary && index.intAttribute(node, 'rotary_interleaved', 0) === 1) return fail(`${name} uses interleaved rotary embedding (rotary_interleaved=1), which lmscope does not recompute yet`);
	const [cos, sin] = [input(7), input(8)];
	if (rotary && (!cos || !sin)) return fail(`${name} has do_rotary=1 but no cos_cache/sin_cache inputs`);
	return {
		...common,
		op: 'GroupQueryAttention',
		query,
		packedQkv: !input(1),
		present,
		kvHeads: index.intAttribute(node, 'kv_num_heads', heads),
		rotary: rotary ? {cos: cos!, sin: sin!, interleaved: false} : undefined,
		softcap: floatAttribute(node, 'softcap') ?? 0,
		localWindow: index.intAttribute(node, 'local_window_size', -1),
	};
}

/** The residual stream before block 0: the embedding sum, from EmbedLayerNormalization's optional output if need be. */
function exposeEmbedding(index: GraphIndex, skip: string, position: Map<NodeProto, number>, expose: FusedPlan['expose']): string {
	const producer = index.producer.get(skip);
	if (producer?.opType !== 'EmbedLayerNormalization' || producer.output[0] !== skip) return skip;
	// The skip input is the normalized embedding; the residual stream is the raw sum (output 2).
	if (producer.output[2]) return producer.output[2];
	const tensor = `lmscope/embedding_sum`;
	expose.push({node: position.get(producer)!, slot: 2, tensor});
	return tensor;
}
