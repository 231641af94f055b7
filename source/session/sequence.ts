/**
 * The per-position record of a session: for every token (prompt and generated), its internals as
 * the model computed them. Filled from full-pass traces (the prompt) and one-row step traces
 * (generated tokens); positions are immutable once stored, so the UI can keep references.
 */
import {entropy, softmax, topK, type Candidate} from '../analysis/distribution.js';
import type {Trace} from '../model/trace.js';

export const NEXT_TOP_K = 10;

export interface PositionData {
	position: number;
	id: number;
	text: string;
	generated: boolean;
	/** The model's probability of this token given the ones before it (none at position 0). */
	probability?: number;
	/** Per layer: [heads, keys] attention probabilities of this token as the query. */
	attention: Float32Array[];
	/** Keys this token attends to: position + 1 in a decoder (causal), the whole sequence in an encoder. */
	keys: number;
	/** Residual stream: [embeddings, after block 0, ...], each [width]. */
	residual: Float32Array[];
	/** MLP activation per layer: [inner]. */
	mlp: Float32Array[];
	/** The next-token distribution after this token (none in a sequence classifier). */
	next?: {top: Candidate[]; entropy: number};
	/** Raw logits after this token, kept only where generation may resume (the last prompt token and generated ones). */
	logits?: Float32Array;
}

/**
 * Turn the rows of a trace (fetched with every internal and all logits rows) into positions.
 * `previous` is the position before the trace's first row, for the first token's probability.
 */
export function positionsFromTrace(
	trace: Trace,
	piece: (id: number) => string,
	options: {generated: boolean; previousLogits?: Float32Array; keepLogitsFrom: number; classification?: boolean},
): PositionData[] {
	const classification = options.classification === true;
	if (!trace.residual || !trace.mlp || (!classification && trace.logitsRows !== trace.rows)) {
		throw new Error('positionsFromTrace needs a trace with residual, mlp and every logits row');
	}
	const out: PositionData[] = [];
	const keys = trace.start + trace.rows;
	let previous = options.previousLogits ? softmax(options.previousLogits) : undefined;
	for (let r = 0; r < trace.rows; r++) {
		const position = trace.start + r;
		const id = trace.ids[position]!;
		// A classifier's logits belong to the whole sequence, not to a position.
		const logits = classification ? undefined : trace.logits.slice(r * trace.vocabSize, (r + 1) * trace.vocabSize);
		const probs = logits ? softmax(logits) : undefined;
		const seen = classification ? keys : position + 1;
		const attention = trace.attention.map(layer => {
			const row = new Float32Array(trace.heads * seen);
			for (let h = 0; h < trace.heads; h++) {
				const offset = (h * trace.rows + r) * keys;
				row.set(layer!.subarray(offset, offset + seen), h * seen);
			}
			return row;
		});
		out.push({
			position,
			id,
			text: piece(id),
			generated: options.generated,
			probability: previous ? previous[id] : undefined,
			attention,
			keys: seen,
			residual: trace.residual.map(stream => stream.slice(r * trace.width, (r + 1) * trace.width)),
			mlp: trace.mlp.map(act => act.slice(r * trace.inner, (r + 1) * trace.inner)),
			next: probs ? {top: topK(probs, NEXT_TOP_K), entropy: entropy(probs)} : undefined,
			logits: position >= options.keepLogitsFrom ? logits : undefined,
		});
		previous = probs;
	}
	return out;
}
