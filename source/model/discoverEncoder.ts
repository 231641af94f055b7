/**
 * Discovery in encoder classifiers (BERT-style sequence classification: logits [batch, classes]
 * for the whole input, bidirectional attention, no cache). BERT is post-norm: each block is
 *   mid = LayerNorm(x + Attention(x)),  out = LayerNorm(mid + MLP(mid)),
 * so the residual stream a layer hands on (Hugging Face's hidden_states) is the output of the
 * LayerNorm after each residual Add, not the Add itself. Pre-norm encoders have no norm there and
 * the Add output is the stream, as in decoders. The "lens" of a classifier is its head (pooler and
 * classifier) applied to each layer's hidden states: what the model would decide from that layer.
 */
import {UserError} from '../errors.js';
import {activationBehind, attentionSoftmaxes, embeddingRows, findUnembedding, isResidualAdd, lensNodes} from './discover.js';
import type {GraphMap, LayerTensors, ModelInputs} from './graphMap.js';
import type {GraphIndex, NodeProto} from './onnxGraph.js';

const NORMS = new Set(['LayerNormalization', 'SimplifiedLayerNormalization', 'RMSNormalization']);

/** An encoder classifier: no cache, and logits of rank 2 ([batch, classes], no sequence axis). */
export function isSequenceClassifier(index: GraphIndex, inputs: ModelInputs, logits: string): boolean {
	if (inputs.cache.length > 0) return false;
	return index.declaredType(logits)?.dims.length === 2;
}

export function discoverEncoder(index: GraphIndex, file: string, inputs: ModelInputs, logits: string): GraphMap {
	const fail = (what: string): never => {
		throw new UserError(`${file}: encoder classifier (logits [batch, classes]), but ${what}; name the tensors in an lmscope.json manifest next to the model (see README, "Graph manifest")`);
	};
	const nodes = index.graph.node;
	const softmaxes = attentionSoftmaxes(index);
	if (softmaxes.length === 0) return fail('no attention Softmax between a Q.K MatMul and a .V MatMul was found');
	const adds = nodes.filter(n => isResidualAdd(index, n));
	/** The residual Add that adds a branch descending from `from` to a stream that does not. */
	const addAfter = (from: string, skipMustBe?: string): NodeProto | undefined =>
		adds.find(add => {
			const [a, b] = add.input as [string, string];
			const branch = a !== from && index.isAncestor(from, a) ? a : b !== from && index.isAncestor(from, b) ? b : undefined;
			if (!branch) return false;
			const skip = branch === a ? b : a;
			return skipMustBe ? skip === skipMustBe : !index.isAncestor(from, skip);
		});
	/** Post-norm: the LayerNorm right after a residual Add; pre-norm: the Add itself. */
	const streamAfter = (add: NodeProto): string => {
		const norm = index.consumersOf(add.output[0]!).find(n => NORMS.has(n.opType));
		return norm ? norm.output[0]! : add.output[0]!;
	};
	const layers: LayerTensors[] = [];
	let embedding: string | undefined;
	let postNorm = false;
	softmaxes.forEach((softmax, layer) => {
		const afterAttention = addAfter(softmax.output[0]!);
		if (!afterAttention) return fail(`no residual Add takes the output of attention ${layer} (${softmax.name || 'Softmax'})`);
		const skip = afterAttention.input.find(i => !index.isAncestor(softmax.output[0]!, i!))!;
		if (layer === 0) embedding = skip;
		else if (skip !== layers[layer - 1]!.residual) return fail(`attention ${layer} does not read the stream layer ${layer - 1} hands on`);
		const middle = streamAfter(afterAttention);
		postNorm ||= middle !== afterAttention.output[0];
		const afterMlp = addAfter(middle, middle);
		if (!afterMlp) return fail(`no residual Add closes the MLP of layer ${layer}`);
		const branch = afterMlp.input.find(i => i !== middle)!;
		const mlp = activationBehind(index, branch, middle);
		if (!mlp) return fail(`no MLP activation found in layer ${layer}`);
		layers.push({attention: softmax.output[0]!, residual: streamAfter(afterMlp), mlp});
	});
	const last = layers.at(-1)!.residual;
	const head = lensNodes(index, last, logits);
	return {
		task: 'classification',
		logits,
		embedding: embedding!,
		layers,
		sources: {attention: 'structure', residual: 'structure', mlp: 'structure'},
		finalNorm: head.filter(n => !index.isWeight(n.output[0]!)).map(n => n.name || n.opType),
		unembedding: findUnembedding(index, head) ?? '',
		embeddingRows: embeddingRows(index, inputs.inputIds),
		inputs,
		notes: [
			`encoder classifier (${postNorm ? 'post-norm: the stream is each LayerNorm after a residual add' : 'pre-norm'}): bidirectional attention, class logits for the whole sequence; the class lens applies the classification head to every layer`,
		],
	};
}
