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
}

export interface ModelInputs {
	inputIds: string;
	attentionMask?: string;
	positionIds?: string;
	/** Element type of integer inputs: 'int64' (torch/Optimum) or 'int32' (ORT GenAI). */
	integerType: 'int64' | 'int32';
	/** Past key/value inputs in layer order, paired with the present outputs that feed them next step. */
	cache: Array<{past: string; present: string}>;
	/** Other inputs the graph has that lmscope does not know how to fill. */
	unknown: string[];
}
