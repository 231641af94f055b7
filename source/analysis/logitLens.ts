/**
 * Logit lens (nostalgebraist, 2020): what each layer's residual stream would predict if the
 * network stopped there, found by applying the model's own final norm and unembedding to it.
 * Row 0 is the embeddings; row l+1 is after block l; the last row equals the model's output.
 */
import type {Trace} from '../model/trace.js';
import {softmax, topK, type Candidate} from './distribution.js';

/** Applies the final norm + unembedding to [n, width] rows; undefined when the model has no separable lens. */
export type LensFunction = (rows: Float32Array, n: number) => Promise<Float32Array | undefined>;

export interface LensRow {
	/** 0 = embeddings, l + 1 = after block l. */
	layer: number;
	top: Candidate[];
}

export async function logitLens(trace: Trace, lens: LensFunction, position: number, k = 5): Promise<LensRow[] | undefined> {
	const lensAll = await logitLensAll(trace, lens, [position], k);
	return lensAll?.[0];
}

/** The lens at several positions in one batched run: result[i] belongs to positions[i]. */
export async function logitLensAll(trace: Trace, lens: LensFunction, positions: number[], k = 5): Promise<LensRow[][] | undefined> {
	const residual = trace.residual;
	if (!residual) throw new Error('logit lens needs the residual stream: run the trace with {residual: true}');
	const width = trace.width;
	const streams = positions.map(position => {
		const row = position - trace.start;
		if (row < 0 || row >= trace.rows) throw new RangeError(`position ${position} is not in this trace`);
		return residual.map(stream => stream.subarray(row * width, (row + 1) * width));
	});
	return logitLensOfStreams(streams, lens, k);
}

/**
 * The lens over residual-stream vectors: streams[i][l] is position i's residual stream at layer
 * l (0 = embeddings). One batched run of the lens for every position and layer.
 */
export async function logitLensOfStreams(streams: Float32Array[][], lens: LensFunction, k = 5): Promise<LensRow[][] | undefined> {
	const layers = streams[0]?.length ?? 0;
	const width = streams[0]?.[0]?.length ?? 0;
	const rows = new Float32Array(streams.length * layers * width);
	streams.forEach((position, p) => position.forEach((stream, l) => rows.set(stream, (p * layers + l) * width)));
	const logits = await lens(rows, streams.length * layers);
	if (!logits) return undefined;
	const vocab = logits.length / (streams.length * layers);
	return streams.map((_, p) =>
		Array.from({length: layers}, (_, l) => {
			const offset = (p * layers + l) * vocab;
			return {layer: l, top: topK(softmax(logits.subarray(offset, offset + vocab)), k)};
		}),
	);
}

/**
 * The lens of a sequence classifier: its head (pooler and classifier) applied to each layer's
 * whole hidden-state sequence (streams[l] is [n, width] for layer l, 0 = embeddings), giving the
 * class distribution the model would produce from that layer. One lens run per layer, since the
 * head reads the sequence (e.g. its first token), not one position.
 */
export async function classLens(streams: Float32Array[], n: number, lens: LensFunction, k = 5): Promise<LensRow[] | undefined> {
	const rows: LensRow[] = [];
	for (const [layer, stream] of streams.entries()) {
		const logits = await lens(stream, n);
		if (!logits) return undefined;
		rows.push({layer, top: topK(softmax(logits), k)});
	}
	return rows;
}
