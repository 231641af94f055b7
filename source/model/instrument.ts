/**
 * Instrumentation: expose the discovered internals as graph outputs (ONNX Runtime only returns
 * graph outputs), and cut out the final norm + unembedding as a small "lens" graph so the logit
 * lens applies the model's own operators to any layer's residual stream.
 */
import {create} from '@bufbuild/protobuf';
import {GraphProtoSchema, ModelProtoSchema, ValueInfoProtoSchema} from 'onnx-buf';
import type {GraphMap} from './graphMap.js';
import {GraphIndex, type ModelProto, type NodeProto, untypedOutput} from './onnxGraph.js';
import {lensNodes} from './discover.js';

/** Every tensor the map names, in a stable order. */
export function internalTensors(map: GraphMap): string[] {
	const names = [map.embedding];
	for (const layer of map.layers) names.push(layer.attention, layer.residual, layer.mlp);
	return [...new Set(names)];
}

/** A copy of the model with the internals added as outputs (the original is left untouched). */
export function instrumentModel(model: ModelProto, map: GraphMap): ModelProto {
	const graph = model.graph!;
	const existing = new Set(graph.output.map(o => o.name));
	const extra = internalTensors(map).filter(n => !existing.has(n)).map(untypedOutput);
	return create(ModelProtoSchema, {
		...model,
		graph: create(GraphProtoSchema, {...graph, output: [...graph.output, ...extra]}),
	});
}

/**
 * A model computing logits from a residual stream [batch, seq, width]: the original's final norm
 * and unembedding nodes with the weights they use. Undefined when the logits depend on more than
 * the last residual (then the lens is not available and `lmscope graph` says so).
 */
export function lensModel(model: ModelProto, index: GraphIndex, map: GraphMap): ModelProto | undefined {
	const last = map.layers.at(-1)?.residual ?? map.embedding;
	const nodes: NodeProto[] = lensNodes(index, last, map.logits);
	if (nodes.length === 0) return undefined;
	const used = new Set(nodes.flatMap(n => n.input));
	const initializer = model.graph!.initializer.filter(i => used.has(i.name));
	const residualInput = create(ValueInfoProtoSchema, {
		name: last,
		type: {
			value: {
				case: 'tensorType',
				value: {
					elemType: 1,
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
			output: [untypedOutput(map.logits)],
		}),
	});
}
