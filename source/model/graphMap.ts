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
	/** A decoder predicting the next token at every position, or an encoder classifying the whole sequence (logits [batch, classes]). */
	task: 'next-token' | 'classification';
	logits: string;
	/** Residual stream before the first block (token + position embeddings). */
	embedding: string;
	layers: LayerTensors[];
	/** Where each part came from, per field, for `lmscope graph`. */
	sources: {attention: DiscoverySource; residual: DiscoverySource; mlp: DiscoverySource};
	/** The final norm's node names (logit lens applies these to each residual); for a classifier, the head (pooler and classifier). */
	finalNorm: string[];
	/** The unembedding weight (initializer name). */
	unembedding: string;
	/** Rows of the token embedding: the largest token id the model accepts, plus one. */
	embeddingRows: number;
	inputs: ModelInputs;
	/** Anything discovery wants the user to know. */
	notes: string[];
	/** Set for graphs with fused attention operators (ONNX Runtime transformer optimizer and GenAI builder exports). */
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

/** What every fused attention operator's recomputation needs. */
interface FusedAttentionCommon {
	/** The operator (for messages): its node name or op type. */
	node: string;
	heads: number;
	/** The operator's scale attribute; default 1/sqrt(head size). */
	scale?: number;
	maskFilterValue: number;
	/** The name the recomputed probabilities get. */
	probabilities: string;
}

/** ONNX Runtime's transformer-optimizer Attention: packed QKV weight inside the operator. */
export interface PackedQkvAttention extends FusedAttentionCommon {
	op: 'Attention';
	/** Hidden state in, packed QKV weight and bias, raw attention mask, present key/value out. */
	input: string;
	weight: string;
	bias: string;
	mask?: string;
	present: string;
	unidirectional: boolean;
}

/** com.microsoft MultiHeadAttention (ORT GenAI builder): projected (and rotated) Q, K, V in. */
export interface MultiHeadAttentionOp extends FusedAttentionCommon {
	op: 'MultiHeadAttention';
	/** Query [batch, seq, heads x head size]. */
	query: string;
	/** All keys this step attends to: the present key [batch, heads, total, head] when the operator has a cache, else the key input [batch, total, heads x head]. */
	key: string;
	keyIsPresent: boolean;
	keyPaddingMask?: string;
	/** Additive bias [batch or 1, heads or 1, seq, total] (the builder's causal mask lives here). */
	attentionBias?: string;
	unidirectional: boolean;
}

/** com.microsoft GroupQueryAttention (ORT GenAI builder): fewer key/value heads, rotary inside the operator when do_rotary=1. */
export interface GroupQueryAttentionOp extends FusedAttentionCommon {
	op: 'GroupQueryAttention';
	/** Query [batch, seq, heads x head], or packed QKV [batch, seq, (heads + 2 kv) x head] when the key input is empty. */
	query: string;
	packedQkv: boolean;
	/** Present key [batch, kv heads, total, head], already rotated. */
	present: string;
	kvHeads: number;
	rotary?: {cos: string; sin: string; interleaved: boolean};
	softcap: number;
	localWindow: number;
}

export type FusedAttention = PackedQkvAttention | MultiHeadAttentionOp | GroupQueryAttentionOp;

export interface ModelInputs {
	inputIds: string;
	attentionMask?: string;
	positionIds?: string;
	/** BERT-style segment ids: every token gets segment 0 (one sequence). */
	tokenTypeIds?: string;
	/** Element type of integer inputs: 'int64' (torch/Optimum) or 'int32' (ORT GenAI). */
	integerType: 'int64' | 'int32';
	/** Past key/value inputs in layer order, paired with the present outputs that feed them next step. */
	cache: Array<{past: string; present: string}>;
	/** The sequence axis of the cache tensors: 2 for [batch, heads, seq, dim], 3 for ORT's packed [2, batch, heads, seq, dim]. */
	cacheSequenceAxis: number;
	/** Other inputs the graph has that lmscope does not know how to fill. */
	unknown: string[];
}
