/**
 * Choosing the next token: greedy, temperature, top-k, top-p (nucleus), with a seeded generator so
 * a run can be replayed. Filters apply in the order Hugging Face's generate() applies them:
 * temperature, then top-k, then top-p.
 */
import {argmax, softmax} from '../analysis/distribution.js';

export interface SamplingSettings {
	/** 0 means greedy. */
	temperature: number;
	/** 0 means no top-k filter. */
	topK: number;
	/** 1 means no nucleus filter. */
	topP: number;
	seed: number;
}

export const GREEDY: SamplingSettings = {temperature: 0, topK: 0, topP: 1, seed: 0};

/** mulberry32: a small, fast, seedable generator of floats in [0, 1); good enough for sampling. */
export function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export function chooseToken(logits: ArrayLike<number>, settings: SamplingSettings, random: () => number): number {
	if (settings.temperature <= 0) return argmax(logits);
	const probs = softmax(logits, settings.temperature);
	let order = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]! || a - b);
	if (settings.topK > 0) order = order.slice(0, settings.topK);
	if (settings.topP < 1) {
		let cumulative = 0;
		let keep = 0;
		while (keep < order.length) {
			cumulative += probs[order[keep]!]!;
			keep++;
			if (cumulative >= settings.topP) break;
		}
		order = order.slice(0, Math.max(1, keep));
	}
	let total = 0;
	for (const id of order) total += probs[id]!;
	let r = random() * total;
	for (const id of order) {
		r -= probs[id]!;
		if (r < 0) return id;
	}
	return order.at(-1)!;
}
