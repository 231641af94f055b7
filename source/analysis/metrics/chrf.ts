/**
 * chrF (Popović, 2015) as SacreBLEU 2 computes it: character n-grams up to `charOrder` (6) with
 * whitespace removed, F-beta with beta 2, averaged over the orders that occur ("effective order"),
 * or, with `epsSmoothing`, the mean of per-order F-scores with a tiny epsilon for missing orders
 * (chrF++.py and NLTK's convention). With several references, each segment uses the best one.
 * Scores are 0-100.
 */

export interface ChrfOptions {
	charOrder: number;
	beta: number;
	removeWhitespace: boolean;
	epsSmoothing: boolean;
	lowercase: boolean;
}

export const CHRF_DEFAULTS: ChrfOptions = {charOrder: 6, beta: 2, removeWhitespace: true, epsSmoothing: false, lowercase: false};

/** Per order: [hyp n-grams, ref n-grams, matches]. */
export type ChrfStatistics = number[];

function charNgrams(text: string, n: number): Map<string, number> {
	const chars = [...text];
	const counts = new Map<string, number>();
	for (let i = 0; i + n <= chars.length; i++) {
		const key = chars.slice(i, i + n).join('');
		counts.set(key, (counts.get(key) ?? 0) + 1);
	}
	return counts;
}

function prepare(text: string, o: ChrfOptions): string {
	const t = o.lowercase ? text.toLowerCase() : text;
	return o.removeWhitespace ? t.split(/\s+/).join('') : t;
}

function statistics(hyp: string, ref: string, o: ChrfOptions): ChrfStatistics {
	const stats: number[] = [];
	for (let n = 1; n <= o.charOrder; n++) {
		const h = charNgrams(hyp, n);
		const r = charNgrams(ref, n);
		let hCount = 0;
		let rCount = 0;
		let matches = 0;
		for (const c of h.values()) hCount += c;
		for (const c of r.values()) rCount += c;
		for (const [k, c] of h) matches += Math.min(c, r.get(k) ?? 0);
		stats.push(hCount, rCount, matches);
	}
	return stats;
}

export function chrfFromStatistics(stats: ChrfStatistics, options: Partial<ChrfOptions> = {}): number {
	return fScore(stats, {...CHRF_DEFAULTS, ...options});
}

/** One segment's statistics against its best reference (for bootstrap resampling: sum them). */
export function chrfSegmentStatistics(hypothesis: string, references: string[], options: Partial<ChrfOptions> = {}): ChrfStatistics {
	return bestStatistics(hypothesis, references, {...CHRF_DEFAULTS, ...options});
}

function fScore(stats: ChrfStatistics, o: ChrfOptions): number {
	const eps = 1e-16;
	const factor = o.beta ** 2;
	let score = 0;
	let effective = 0;
	let avgPrecision = 0;
	let avgRecall = 0;
	for (let i = 0; i < o.charOrder; i++) {
		const [nHyp, nRef, nMatch] = [stats[3 * i]!, stats[3 * i + 1]!, stats[3 * i + 2]!];
		const precision = nHyp > 0 ? nMatch / nHyp : eps;
		const recall = nRef > 0 ? nMatch / nRef : eps;
		const denominator = factor * precision + recall;
		score += denominator > 0 ? ((1 + factor) * precision * recall) / denominator : eps;
		if (nHyp > 0 && nRef > 0) {
			avgPrecision += precision;
			avgRecall += recall;
			effective++;
		}
	}
	if (o.epsSmoothing) return (100 * score) / o.charOrder;
	if (effective === 0) return 0;
	avgPrecision /= effective;
	avgRecall /= effective;
	if (avgPrecision + avgRecall === 0) return 0;
	return (100 * (1 + factor) * avgPrecision * avgRecall) / (factor * avgPrecision + avgRecall);
}

function bestStatistics(hyp: string, refs: string[], o: ChrfOptions): ChrfStatistics {
	let best: ChrfStatistics | undefined;
	let bestScore = -1;
	for (const ref of refs) {
		const stats = statistics(prepare(hyp, o), prepare(ref, o), o);
		const score = fScore(stats, o);
		if (score > bestScore) [best, bestScore] = [stats, score];
	}
	return best!;
}

/** `references[r][i]` is reference r of segment i. */
export function corpusChrf(hypotheses: string[], references: string[][], options: Partial<ChrfOptions> = {}): number {
	const o = {...CHRF_DEFAULTS, ...options};
	const sum = new Array<number>(3 * o.charOrder).fill(0);
	hypotheses.forEach((hyp, i) => {
		bestStatistics(hyp, references.map(stream => stream[i]!), o).forEach((v, k) => (sum[k]! += v));
	});
	return fScore(sum, o);
}

export function sentenceChrf(hypothesis: string, references: string[], options: Partial<ChrfOptions> = {}): number {
	return corpusChrf([hypothesis], references.map(r => [r]), options);
}
