/**
 * BLEU exactly as SacreBLEU (Post, 2018) computes it: clipped n-gram matches against the best of
 * several references, the closest reference length for the brevity penalty (ties to the shorter),
 * smoothing 'none' | 'floor' | 'add-k' | 'exp' (the NIST geometric smoothing, SacreBLEU's default),
 * and effective order (sentence BLEU's default: orders with no n-grams at all are left out).
 * Scores are 0-100.
 */
import {bleuTokenize, type BleuTokenizer} from './bleuTokenizers.js';

export type BleuSmoothing = 'none' | 'floor' | 'add-k' | 'exp';

export interface BleuOptions {
	tokenize: BleuTokenizer;
	lowercase: boolean;
	smoothing: BleuSmoothing;
	/** Defaults: floor 0.1, add-k 1. */
	smoothValue?: number;
	effectiveOrder: boolean;
	maxOrder: number;
}

export const CORPUS_BLEU_DEFAULTS: BleuOptions = {tokenize: '13a', lowercase: false, smoothing: 'exp', effectiveOrder: false, maxOrder: 4};
export const SENTENCE_BLEU_DEFAULTS: BleuOptions = {...CORPUS_BLEU_DEFAULTS, effectiveOrder: true};

export interface BleuStatistics {
	/** Matches per order (clipped). */
	correct: number[];
	/** Hypothesis n-grams per order. */
	total: number[];
	hypLength: number;
	refLength: number;
}

export interface BleuScore extends BleuStatistics {
	score: number;
	precisions: number[];
	brevityPenalty: number;
}

function ngrams(tokens: string[], n: number): Map<string, number> {
	const counts = new Map<string, number>();
	for (let i = 0; i + n <= tokens.length; i++) {
		const key = tokens.slice(i, i + n).join('\u0001');
		counts.set(key, (counts.get(key) ?? 0) + 1);
	}
	return counts;
}

/** Statistics of one hypothesis against its references (already tokenized). */
export function bleuSentenceStatistics(hyp: string[], refs: string[][], maxOrder = 4): BleuStatistics {
	let refLength = -1;
	let closest = -1;
	for (const ref of refs) {
		const diff = Math.abs(hyp.length - ref.length);
		if (closest === -1 || diff < closest || (diff === closest && ref.length < refLength)) {
			closest = diff;
			refLength = ref.length;
		}
	}
	const correct: number[] = [];
	const total: number[] = [];
	for (let n = 1; n <= maxOrder; n++) {
		const hypCounts = ngrams(hyp, n);
		const maxRef = new Map<string, number>();
		for (const ref of refs) for (const [k, c] of ngrams(ref, n)) maxRef.set(k, Math.max(maxRef.get(k) ?? 0, c));
		let matched = 0;
		for (const [k, c] of hypCounts) matched += Math.min(c, maxRef.get(k) ?? 0);
		correct.push(matched);
		total.push(Math.max(0, hyp.length - n + 1));
	}
	return {correct, total, hypLength: hyp.length, refLength: Math.max(refLength, 0)};
}

const logOrFloor = (x: number) => (x === 0 ? -9999999999 : Math.log(x));

/** BLEU from statistics. */
export function bleuFromStatistics(stats: BleuStatistics, options: Pick<BleuOptions, 'smoothing' | 'smoothValue' | 'effectiveOrder' | 'maxOrder'>): BleuScore {
	const correct = [...stats.correct];
	const total = [...stats.total];
	const smoothValue = options.smoothValue ?? (options.smoothing === 'floor' ? 0.1 : options.smoothing === 'add-k' ? 1 : 0);
	const {hypLength, refLength} = stats;
	const brevityPenalty = hypLength < refLength ? (hypLength > 0 ? Math.exp(1 - refLength / hypLength) : 0) : 1;
	const precisions = new Array<number>(options.maxOrder).fill(0);
	if (!correct.some(c => c > 0)) return {...stats, score: 0, precisions, brevityPenalty};
	let smoothMteval = 1;
	let order = options.maxOrder;
	for (let n = 1; n <= options.maxOrder; n++) {
		if (options.smoothing === 'add-k' && n > 1) {
			correct[n - 1]! += smoothValue;
			total[n - 1]! += smoothValue;
		}
		if (total[n - 1] === 0) break;
		if (options.effectiveOrder) order = n;
		if (correct[n - 1] === 0) {
			if (options.smoothing === 'exp') {
				smoothMteval *= 2;
				precisions[n - 1] = 100 / (smoothMteval * total[n - 1]!);
			} else if (options.smoothing === 'floor') {
				precisions[n - 1] = (100 * smoothValue) / total[n - 1]!;
			}
		} else {
			precisions[n - 1] = (100 * correct[n - 1]!) / total[n - 1]!;
		}
	}
	const score = brevityPenalty * Math.exp(precisions.slice(0, order).reduce((s, p) => s + logOrFloor(p), 0) / order);
	return {...stats, score, precisions, brevityPenalty};
}

function prepare(line: string, options: BleuOptions): string[] {
	const text = options.lowercase ? line.toLowerCase() : line;
	return bleuTokenize(text.trimEnd(), options.tokenize);
}

/** One segment's statistics (for bootstrap resampling: sum them, then bleuFromStatistics). */
export function bleuSegmentStatistics(hypothesis: string, references: string[], options: Partial<BleuOptions> = {}): BleuStatistics {
	const o = {...CORPUS_BLEU_DEFAULTS, ...options};
	return bleuSentenceStatistics(prepare(hypothesis, o), references.map(r => prepare(r, o)), o.maxOrder);
}

export function sumBleuStatistics(list: BleuStatistics[], maxOrder = 4): BleuStatistics {
	const sum: BleuStatistics = {correct: new Array(maxOrder).fill(0), total: new Array(maxOrder).fill(0), hypLength: 0, refLength: 0};
	for (const s of list) {
		s.correct.forEach((c, n) => (sum.correct[n]! += c));
		s.total.forEach((t, n) => (sum.total[n]! += t));
		sum.hypLength += s.hypLength;
		sum.refLength += s.refLength;
	}
	return sum;
}

/** Corpus BLEU: statistics summed over segments. `references[r][i]` is reference r of segment i. */
export function corpusBleu(hypotheses: string[], references: string[][], options: Partial<BleuOptions> = {}): BleuScore {
	const o = {...CORPUS_BLEU_DEFAULTS, ...options};
	for (const refs of references) {
		if (refs.length !== hypotheses.length) throw new Error(`a reference stream has ${refs.length} segments, the hypotheses ${hypotheses.length}`);
	}
	const sum: BleuStatistics = {correct: new Array(o.maxOrder).fill(0), total: new Array(o.maxOrder).fill(0), hypLength: 0, refLength: 0};
	hypotheses.forEach((hyp, i) => {
		const stats = bleuSentenceStatistics(prepare(hyp, o), references.map(stream => prepare(stream[i]!, o)), o.maxOrder);
		stats.correct.forEach((c, n) => (sum.correct[n]! += c));
		stats.total.forEach((t, n) => (sum.total[n]! += t));
		sum.hypLength += stats.hypLength;
		sum.refLength += stats.refLength;
	});
	return bleuFromStatistics(sum, o);
}

/** Sentence BLEU with SacreBLEU's sentence defaults (exp smoothing, effective order). */
export function sentenceBleu(hypothesis: string, references: string[], options: Partial<BleuOptions> = {}): BleuScore {
	return corpusBleu([hypothesis], references.map(r => [r]), {...SENTENCE_BLEU_DEFAULTS, ...options});
}

export function bleuSignature(o: BleuOptions): string {
	return `nrefs:?|case:${o.lowercase ? 'lc' : 'mixed'}|eff:${o.effectiveOrder ? 'yes' : 'no'}|tok:${o.tokenize}|smooth:${o.smoothing}|version:sacrebleu-2-compatible`;
}
