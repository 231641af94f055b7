/**
 * Token-by-token decoding over a LanguageModel. With a KV cache each step feeds only the new token
 * and the cached keys/values, so step t costs O(t) rather than a full pass over t tokens; models
 * exported without a cache fall back to a full pass and keep the last row.
 */
import type * as ort from 'onnxruntime-node';
import type {LanguageModel} from './languageModel.js';
import type {Trace, Want} from './trace.js';

export class Decoder {
	ids: number[] = [];
	private cache: ort.Tensor[] = [];

	constructor(readonly model: LanguageModel) {}

	/** Run the prompt; the trace covers every prompt position. */
	async prefill(ids: number[], want: Want): Promise<Trace> {
		this.ids = [...ids];
		const {trace, cache} = await this.model.run(ids, 0, this.model.emptyCache(), want, this.ids);
		this.cache = cache;
		return trace;
	}

	/** Append one token and run it; the trace covers that one position. */
	async step(id: number, want: Want): Promise<Trace> {
		const start = this.ids.length;
		this.ids.push(id);
		if (!this.model.info.hasCache) return this.stepFull(want);
		const {trace, cache} = await this.model.run([id], start, this.cache, want, this.ids);
		this.cache = cache;
		return trace;
	}

	/** Forget every token from position `length` on (undo). */
	truncate(length: number): void {
		if (length >= this.ids.length) return;
		this.ids = this.ids.slice(0, length);
		if (this.model.info.hasCache) this.cache = this.model.truncateCache(this.cache, length);
	}

	/** The last position computed by a full pass over every token (no cache). */
	async stepFull(want: Want): Promise<Trace> {
		return lastRow(await this.model.forward(this.ids, {...want, logits: 'last'}));
	}
}

/** Cut a full-pass trace down to its last position, in the shape a cached step returns. */
export function lastRow(trace: Trace): Trace {
	const rows = trace.rows;
	const keys = trace.start + rows;
	const last = rows - 1;
	const rowOf = (data: Float32Array | undefined, width: number) => data?.slice(last * width, rows * width);
	const attention = trace.attention.map(a => {
		if (!a) return undefined;
		const out = new Float32Array(trace.heads * keys);
		for (let h = 0; h < trace.heads; h++) out.set(a.subarray((h * rows + last) * keys, (h * rows + last + 1) * keys), h * keys);
		return out;
	});
	return {
		...trace,
		start: trace.start + last,
		rows: 1,
		logits: trace.logitsRows === 1 ? trace.logits : trace.logits.slice(last * trace.vocabSize),
		logitsRows: 1,
		attention,
		residual: trace.residual?.map(r => rowOf(r, trace.width)!),
		mlp: trace.mlp?.map(m => rowOf(m, trace.inner)!),
	};
}
