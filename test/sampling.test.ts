import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {argmax, entropy, softmax, topK} from '../source/analysis/distribution.js';
import {chooseToken, seededRandom} from '../source/model/sampling.js';

const logits = [2.0, 1.0, 0.5, 0.0, -1.0, -3.0, 1.5, 0.2];

/** Reference: the filtered distribution written out directly (temperature, then top-k, then top-p). */
function referenceDistribution(temperature: number, k: number, p: number): Map<number, number> {
	const weights = logits.map(x => Math.exp(x / temperature));
	const total = weights.reduce((a, b) => a + b, 0);
	let ranked = weights.map((w, id) => ({id, prob: w / total})).sort((a, b) => b.prob - a.prob);
	if (k > 0) ranked = ranked.slice(0, k);
	if (p < 1) {
		const kept = [];
		let cumulative = 0;
		for (const r of ranked) {
			kept.push(r);
			cumulative += r.prob;
			if (cumulative >= p) break;
		}
		ranked = kept;
	}
	const mass = ranked.reduce((a, r) => a + r.prob, 0);
	return new Map(ranked.map(r => [r.id, r.prob / mass]));
}

describe('distribution helpers', () => {
	it('softmax sums to one and matches the formula', () => {
		const probs = softmax(logits);
		assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-12);
		const z = logits.reduce((a, x) => a + Math.exp(x), 0);
		logits.forEach((x, i) => assert.ok(Math.abs(probs[i]! - Math.exp(x) / z) < 1e-12));
	});
	it('topK equals a full sort', () => {
		const probs = softmax(logits);
		const sorted = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]!);
		assert.deepEqual(topK(probs, 3).map(c => c.id), sorted.slice(0, 3));
	});
	it('entropy of a uniform distribution is log n, of a point mass 0', () => {
		assert.ok(Math.abs(entropy([0.25, 0.25, 0.25, 0.25]) - Math.log(4)) < 1e-12);
		assert.equal(entropy([1, 0, 0]), 0);
	});
});

describe('chooseToken', () => {
	it('temperature 0 is greedy', () => {
		assert.equal(chooseToken(logits, {temperature: 0, topK: 0, topP: 1, seed: 0}, seededRandom(1)), argmax(logits));
	});
	it('top-k 1 and a tiny top-p are greedy too', () => {
		const random = seededRandom(3);
		for (let i = 0; i < 50; i++) {
			assert.equal(chooseToken(logits, {temperature: 1, topK: 1, topP: 1, seed: 0}, random), 0);
			assert.equal(chooseToken(logits, {temperature: 1, topK: 0, topP: 0.01, seed: 0}, random), 0);
		}
	});
	it('the same seed replays the same choices', () => {
		const run = (seed: number) => {
			const random = seededRandom(seed);
			return Array.from({length: 30}, () => chooseToken(logits, {temperature: 1, topK: 0, topP: 1, seed}, random));
		};
		assert.deepEqual(run(7), run(7));
		assert.notDeepEqual(run(7), run(8));
	});
	for (const [temperature, k, p] of [[1, 0, 1], [0.7, 0, 1], [1, 3, 1], [1, 0, 0.8], [1.3, 5, 0.9]] as const) {
		it(`samples from the filtered distribution (T=${temperature}, top-k=${k}, top-p=${p})`, () => {
			const expected = referenceDistribution(temperature, k, p);
			const random = seededRandom(11);
			const n = 20000;
			const counts = new Map<number, number>();
			for (let i = 0; i < n; i++) {
				const id = chooseToken(logits, {temperature, topK: k, topP: p, seed: 11}, random);
				counts.set(id, (counts.get(id) ?? 0) + 1);
			}
			for (const id of counts.keys()) assert.ok(expected.has(id), `token ${id} was filtered out but sampled`);
			for (const [id, prob] of expected) {
				const freq = (counts.get(id) ?? 0) / n;
				const sigma = Math.sqrt((prob * (1 - prob)) / n);
				assert.ok(Math.abs(freq - prob) <= 4 * sigma + 1e-9, `token ${id}: frequency ${freq} vs ${prob}`);
			}
		});
	}
});
