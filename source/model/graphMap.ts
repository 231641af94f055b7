/** What graph discovery found in a model: the tensor names lmscope instruments. */
export interface LayerTensors {
	/** Attention probabilities [batch, heads, query, key]. */
	attention: string;
	/** Residual stream after the whole block [batch, seq, width]. */
	residual: string;
	/** MLP activation after its nonlinearity [batch, seq, inner]. */
	mlp: string;
}

export type DiscoverySource = 'structure' | 'names' | 'manifest';

export interface GraphMap {
	logits: string;
	/** Residual stream before the first block (token + position embeddings). */
	embedding: string;
	layers: LayerTensors[];
	/** Where each part came from, per field, for `lmscope graph`. */
	sources: {attention: DiscoverySource; residual: DiscoverySource; mlp: DiscoverySource};
	/** The final norm's node names (logit lens applies these to each residual). */
	finalNorm: string[];
	/** The unembedding weight (initializer name). */
	unembedding: string;
	/** Rows of the token embedding: the largest token id the model accepts, plus one. */
	embeddingRows: number;
	inputs: ModelInputs;
	/** Anything discovery wants the user to know. */
	notes: string[];
	/** Set for graphs with fused attention operators (ONNX Runtime transformer optimizer exports). */
	fused?: FusedPlan;
}

/**
 * What instrumentation must add to a fused graph: subgraphs that recompute each fused attention
 * operator's probabilities from its own inputs, names for optional outputs that hold the residual
 * stream, and the fused final norm for the logit lens.
 */
export interface FusedPlan {
	attention: FusedAttention[];
	/** Optional node outputs to name (node index in graph.node, output slot, the name to give it). */
	expose: Array<{node: number; slot: number; tensor: string}>;
	/** A SkipLayerNormalization that is both the last residual add and the final norm. */
	finalNorm?: {op: string; domain: string; gamma: string; beta?: string; epsilon: number; output: string};
}

export interface FusedAttention {
	/** The operator (for messages): its node name or op type. */
	node: string;
	op: 'Attention';
	/** Hidden state in, packed QKV weight and bias, raw attention mask, present key/value out. */
	input: string;
	weight: string;
	bias: string;
	mask?: string;
	present: string;
	heads: number;
	scale?: number;
	unidirectional: boolean;
	maskFilterValue: number;
	/** The name the recomputed probabilities get. */
	probabilities: string;
}

export interface ModelInputs {
	inputIds: string;
	attentionMask?: string;
	positionIds?: string;
	/** Element type of integer inputs: 'int64' (torch/Optimum) or 'int32' (ORT GenAI). */
	integerType: 'int64' | 'int32';
	/** Past key/value inputs in layer order, paired with the present outputs that feed them next step. */
	cache: Array<{past: string; present: string}>;
	/** The sequence axis of the cache tensors: 2 for [batch, heads, seq, dim], 3 for ORT's packed [2, batch, heads, seq, dim]. */
	cacheSequenceAxis: number;
	/** Other inputs the graph has that lmscope does not know how to fill. */
	unknown: string[];
}
