/**
 * Instrumentation: expose the discovered internals as graph outputs (ONNX Runtime only returns
 * graph outputs), and cut out the final norm + unembedding as a small "lens" graph so the logit
 * lens applies the model's own operators to any layer's residual stream.
 */
import {create} from '@bufbuild/protobuf';
import {GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, ValueInfoProtoSchema} from 'onnx-buf';
import type {GraphMap} from './graphMap.js';
import {GraphBuilder} from './graphBuilder.js';
import {GraphIndex, type ModelProto, type NodeProto, type TensorProto, untypedOutput} from './onnxGraph.js';
import {recomputeAttention} from './recomputeAttention.js';
import {lensNodes} from './discover.js';

/** Every tensor the map names, in a stable order. */
export function internalTensors(map: GraphMap): string[] {
	const names = [map.embedding];
	for (const layer of map.layers) names.push(layer.attention, layer.residual, layer.mlp);
	return [...new Set(names)];
}

export function onnxOpset(model: ModelProto): number {
	return Number(model.opsetImport.find(o => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 17n);
}

/** A copy of the model with the internals added as outputs (the original is left untouched). */
export function instrumentModel(model: ModelProto, map: GraphMap, index?: GraphIndex): ModelProto {
	const graph = model.graph!;
	let node = graph.node;
	let initializer = graph.initializer;
	if (map.fused) {
		// Name the optional outputs that carry the residual stream, and recompute fused attention.
		node = node.map((n, i) => {
			const exposed = map.fused!.expose.filter(e => e.node === i);
			if (exposed.length === 0) return n;
			const output = [...n.output];
			for (const e of exposed) {
				while (output.length <= e.slot) output.push('');
				output[e.slot] = e.tensor;
			}
			return create(NodeProtoSchema, {...n, output});
		});
		const builder = new GraphBuilder('lmscope/recompute');
		for (const attention of map.fused.attention) {
			let hidden = 0;
			if (attention.op === 'Attention') {
				const weight = index?.weightInitializer(attention.weight);
				hidden = weight ? Number(weight.dims.at(-1)) / 3 : 0;
				if (!hidden) throw new Error(`cannot read the QKV weight shape of ${attention.node}`);
			}
			recomputeAttention(builder, attention, onnxOpset(model), hidden);
		}
		node = [...node, ...builder.nodes];
		initializer = [...initializer, ...builder.initializers];
	}
	const existing = new Set(graph.output.map(o => o.name));
	const extra = internalTensors(map).filter(n => !existing.has(n)).map(untypedOutput);
	return create(ModelProtoSchema, {
		...model,
		graph: create(GraphProtoSchema, {...graph, node, initializer, output: [...graph.output, ...extra]}),
	});
}

/**
 * A model computing logits from a residual stream [batch, seq, width]: the original's final norm
 * and unembedding nodes with the weights they use. Undefined when the logits depend on more than
 * the last residual (then the lens is not available and `lmscope graph` says so).
 */
export function lensModel(model: ModelProto, index: GraphIndex, map: GraphMap, elemType = 1): ModelProto | undefined {
	const last = map.layers.at(-1)?.residual ?? map.embedding;
	let nodes: NodeProto[];
	const fusedNorm = map.fused?.finalNorm;
	if (fusedNorm) {
		// The final norm is fused with the last residual add: norm(r) = SkipNorm(r, skip = 0), then what follows it.
		// (r - r: zeros of r's own type, fp16 or fp32, with no constant to match.)
		const b = new GraphBuilder('lmscope/lens');
		const zeros = b.op1('Sub', [last, last]);
		b.op(fusedNorm.op, [last, zeros, fusedNorm.gamma, ...(fusedNorm.beta ? [fusedNorm.beta] : [])], {epsilon: {float: fusedNorm.epsilon}}, {domain: fusedNorm.domain, outputs: [fusedNorm.output]});
		const after = lensNodes(index, fusedNorm.output, map.logits);
		if (after.length === 0) return undefined;
		nodes = [...b.nodes, ...after];
		const used = new Set(nodes.flatMap(n => n.input));
		return buildLens(model, nodes, [...model.graph!.initializer.filter(i => used.has(i.name)), ...b.initializers], last, map.logits, elemType);
	}
	nodes = lensNodes(index, last, map.logits);
	if (nodes.length === 0) return undefined;
	const used = new Set(nodes.flatMap(n => n.input));
	return buildLens(model, nodes, model.graph!.initializer.filter(i => used.has(i.name)), last, map.logits, elemType);
}

/** `elemType`: the residual stream's ONNX element type (1 float32, 10 float16). */
function buildLens(model: ModelProto, nodes: NodeProto[], initializer: TensorProto[], last: string, logits: string, elemType: number): ModelProto {
	const residualInput = create(ValueInfoProtoSchema, {
		name: last,
		type: {
			value: {
				case: 'tensorType',
				value: {
					elemType,
					shape: {dim: ['batch', 'sequence', 'width'].map(p => ({value: {case: 'dimParam' as const, value: p}}))},
				},
			},
		},
	});
	return create(ModelProtoSchema, {
		irVersion: model.irVersion,
		opsetImport: model.opsetImport,
		producerName: 'lmscope-lens',
		graph: create(GraphProtoSchema, {
			name: 'logit_lens',
			node: nodes,
			initializer,
			input: [residualInput],
			output: [untypedOutput(logits)],
		}),
	});
}
