/** Next-token distributions: softmax, top-k, entropy. Pure functions over logits rows. */

export interface Candidate {
	id: number;
	probability: number;
}

/** Softmax of logits / temperature, in float64 for stable sums. */
export function softmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
	const n = logits.length;
	const out = new Float64Array(n);
	let max = -Infinity;
	for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
	let sum = 0;
	for (let i = 0; i < n; i++) {
		const e = Math.exp((logits[i]! - max) / temperature);
		out[i] = e;
		sum += e;
	}
	for (let i = 0; i < n; i++) out[i]! /= sum;
	return out;
}

/** The k most probable ids, most probable first (ties by lower id). */
export function topK(probabilities: ArrayLike<number>, k: number): Candidate[] {
	const best: Candidate[] = [];
	for (let id = 0; id < probabilities.length; id++) {
		const p = probabilities[id]!;
		if (best.length === k && p <= best[k - 1]!.probability) continue;
		let at = best.length;
		while (at > 0 && best[at - 1]!.probability < p) at--;
		best.splice(at, 0, {id, probability: p});
		if (best.length > k) best.pop();
	}
	return best;
}

/** Shannon entropy in nats. */
export function entropy(probabilities: ArrayLike<number>): number {
	let h = 0;
	for (let i = 0; i < probabilities.length; i++) {
		const p = probabilities[i]!;
		if (p > 0) h -= p * Math.log(p);
	}
	return h;
}

export function argmax(values: ArrayLike<number>): number {
	let best = 0;
	for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
	return best;
}
