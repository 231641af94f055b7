/**
 * A Trace: what one run of the model computed, for `rows` consecutive positions starting at
 * `start` (a full pass has start 0 and rows = all tokens; a KV-cache step has rows = 1).
 * Tensors are flat Float32Arrays in row-major order; a field is undefined when it was not asked for.
 */
export interface Trace {
	/** All token ids so far (prompt and generated), including the rows of this run. */
	ids: number[];
	start: number;
	rows: number;
	vocabSize: number;
	/** Next-token logits: [rows, vocab], or just the last row [1, vocab] when only that was asked for. */
	logits: Float32Array;
	logitsRows: number;
	/** Per layer: [heads, rows, keys], keys = start + rows (every earlier token and itself). */
	attention: Array<Float32Array | undefined>;
	heads: number;
	/** Residual stream: index 0 is the embeddings, index l+1 is after block l; each [rows, width]. */
	residual?: Float32Array[];
	width: number;
	/** MLP activation after the nonlinearity, per layer: [rows, inner]. */
	mlp?: Float32Array[];
	inner: number;
}

/** Which internals a caller needs: nothing large is fetched unless asked for. */
export interface Want {
	logits?: 'last' | 'all';
	/** true for every layer, or the layer indices wanted. */
	attention?: boolean | number[];
	residual?: boolean;
	mlp?: boolean;
}

export const WANT_ALL: Want = {logits: 'all', attention: true, residual: true, mlp: true};

export function wantsAttention(want: Want, layer: number): boolean {
	return Array.isArray(want.attention) ? want.attention.includes(layer) : want.attention === true;
}

/** The logits row for position `position` (absolute), when the trace holds it. */
export function logitsRow(trace: Trace, position: number): Float32Array {
	const firstRow = trace.start + trace.rows - trace.logitsRows;
	const row = position - firstRow;
	if (row < 0 || row >= trace.logitsRows) throw new RangeError(`no logits for position ${position} in this trace`);
	return trace.logits.subarray(row * trace.vocabSize, (row + 1) * trace.vocabSize);
}

/** Attention row of one head for query position `position` (absolute): [keys]. */
export function attentionRow(trace: Trace, layer: number, head: number, position: number): Float32Array {
	const probs = trace.attention[layer];
	if (!probs) throw new RangeError(`attention of layer ${layer} was not fetched`);
	const keys = trace.start + trace.rows;
	const row = position - trace.start;
	const offset = (head * trace.rows + row) * keys;
	return probs.subarray(offset, offset + keys);
}
