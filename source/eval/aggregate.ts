/**
 * Corpus figures for an evaluation, with bootstrap 95% confidence intervals (1,000 resamples of
 * the items with replacement, seeded, percentile interval; Koehn, 2004). BLEU and chrF are
 * corpus-level (statistics summed over items, as SacreBLEU does), perplexity is corpus-level
 * (exp of the total NLL over all reference tokens), the rest are means of per-item scores.
 */
import {bleuFromStatistics, sumBleuStatistics, CORPUS_BLEU_DEFAULTS} from '../analysis/metrics/bleu.js';
import {chrfFromStatistics} from '../analysis/metrics/chrf.js';
import {seededRandom} from '../model/sampling.js';
import type {EvalMetric, ItemResult} from './evaluateItem.js';

export interface MetricSummary {
	metric: EvalMetric;
	score: number;
	low: number;
	high: number;
	/** Items that have this metric. */
	items: number;
}

export const BOOTSTRAP_RESAMPLES = 1000;

function statistic(metric: EvalMetric, items: ItemResult[]): number {
	switch (metric) {
		case 'bleu':
			return bleuFromStatistics(sumBleuStatistics(items.map(i => i.bleu!)), CORPUS_BLEU_DEFAULTS).score;
		case 'chrf': {
			const sum = new Array<number>(items[0]!.chrf!.length).fill(0);
			for (const item of items) item.chrf!.forEach((v, k) => (sum[k]! += v));
			return chrfFromStatistics(sum);
		}
		case 'perplexity': {
			let nll = 0;
			let tokens = 0;
			for (const item of items) {
				nll += item.referenceNll!.nll;
				tokens += item.referenceNll!.tokens;
			}
			return Math.exp(nll / tokens);
		}
		default:
			return items.reduce((s, i) => s + i.scores[metric]!, 0) / items.length;
	}
}

function has(metric: EvalMetric, item: ItemResult): boolean {
	if (metric === 'bleu') return item.bleu !== undefined;
	if (metric === 'chrf') return item.chrf !== undefined;
	if (metric === 'perplexity') return item.referenceNll !== undefined;
	return item.scores[metric] !== undefined;
}

export function summarizeMetric(metric: EvalMetric, all: ItemResult[], seed = 12345): MetricSummary | undefined {
	const items = all.filter(i => has(metric, i));
	if (items.length === 0) return undefined;
	const score = statistic(metric, items);
	const random = seededRandom(seed);
	const samples: number[] = [];
	for (let r = 0; r < BOOTSTRAP_RESAMPLES; r++) {
		const resample = Array.from({length: items.length}, () => items[Math.floor(random() * items.length)]!);
		samples.push(statistic(metric, resample));
	}
	samples.sort((a, b) => a - b);
	return {metric, score, low: samples[Math.floor(0.025 * BOOTSTRAP_RESAMPLES)]!, high: samples[Math.ceil(0.975 * BOOTSTRAP_RESAMPLES) - 1]!, items: items.length};
}

export function findingCounts(items: ItemResult[]): Array<{category: string; count: number; items: number}> {
	const counts = new Map<string, {count: number; items: Set<number>}>();
	for (const item of items) {
		for (const f of item.findings) {
			const entry = counts.get(f.category) ?? {count: 0, items: new Set<number>()};
			entry.count++;
			entry.items.add(item.index);
			counts.set(f.category, entry);
		}
	}
	return [...counts].map(([category, e]) => ({category, count: e.count, items: e.items.size})).sort((a, b) => b.count - a.count || a.category.localeCompare(b.category));
}

/** Failed thresholds: `--fail-under bleu=20` fails when BLEU is below 20 (perplexity: above). */
export interface Threshold {
	metric: EvalMetric;
	value: number;
}

export function parseThreshold(text: string, known: readonly string[]): Threshold {
	const m = /^([A-Za-z0-9]+)\s*=\s*(-?\d+(?:\.\d+)?)$/.exec(text.trim());
	if (!m || !known.includes(m[1]!)) throw new Error(`"${text}" is not METRIC=VALUE with METRIC one of ${known.join(', ')}`);
	return {metric: m[1] as EvalMetric, value: Number(m[2])};
}

export function brokenThresholds(thresholds: Threshold[], summaries: MetricSummary[]): string[] {
	const out: string[] = [];
	for (const t of thresholds) {
		const s = summaries.find(x => x.metric === t.metric);
		if (!s) out.push(`${t.metric}: no items were scored, so ${t.metric} >= ${t.value} cannot be shown`);
		else if (t.metric === 'perplexity' ? s.score > t.value : s.score < t.value) {
			out.push(`${t.metric} ${s.score.toFixed(4)} ${t.metric === 'perplexity' ? '>' : '<'} ${t.value}`);
		}
	}
	return out;
}
