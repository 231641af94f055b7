/**
 * Scoring a corpus with several metrics at once, each result with a signature of its settings (in
 * the manner of SacreBLEU), for `lmscope score` and `lmscope eval`.
 */
import {CORPUS_BLEU_DEFAULTS, corpusBleu} from './bleu.js';
import type {BleuTokenizer} from './bleuTokenizers.js';
import {CHRF_DEFAULTS, corpusChrf} from './chrf.js';
import {rougeMulti, type RougeType} from './rouge.js';
import {exactMatch, tokenF1} from './squad.js';

export const METRICS = ['bleu', 'chrf', 'rouge1', 'rouge2', 'rougeL', 'rougeLsum', 'em', 'f1'] as const;
export type MetricName = (typeof METRICS)[number];
/** `rouge` stands for the four ROUGE variants. */
export const METRIC_ALIASES: Record<string, MetricName[]> = {rouge: ['rouge1', 'rouge2', 'rougeL', 'rougeLsum']};
export const DEFAULT_METRICS: MetricName[] = ['bleu', 'chrf', 'rouge1', 'rouge2', 'rougeL', 'rougeLsum'];

export interface ScoreOptions {
	tokenize: BleuTokenizer;
	lowercase: boolean;
	stem: boolean;
}

export const SCORE_DEFAULTS: ScoreOptions = {tokenize: '13a', lowercase: false, stem: false};

export interface MetricResult {
	metric: MetricName;
	/** The headline number: BLEU and chrF 0-100; ROUGE F, EM and F1 0-1. */
	score: number;
	signature: string;
	/** Metric-specific detail (precisions, brevity penalty, P/R of ROUGE ...). */
	details: Record<string, number | number[]>;
	/** Per-segment scores (the same scale as `score`; sentence-level BLEU/chrF for BLEU/chrF). */
	segments: number[];
}

export function parseMetrics(text: string): MetricName[] {
	const names = text.split(',').map(s => s.trim()).filter(Boolean);
	const out: MetricName[] = [];
	for (const name of names) {
		const expanded = METRIC_ALIASES[name] ?? (METRICS.includes(name as MetricName) ? [name as MetricName] : undefined);
		if (!expanded) throw new Error(`unknown metric "${name}" (known: ${[...METRICS, ...Object.keys(METRIC_ALIASES)].join(', ')})`);
		for (const m of expanded) if (!out.includes(m)) out.push(m);
	}
	return out;
}

const mean = (values: number[]) => (values.length ? values.reduce((s, v) => s + v, 0) / values.length : 0);

/** `references[r][i]` is reference r of segment i. */
export function scoreCorpus(hypotheses: string[], references: string[][], metrics: MetricName[], options: Partial<ScoreOptions> = {}): MetricResult[] {
	const o = {...SCORE_DEFAULTS, ...options};
	const nrefs = references.length;
	const refsOf = (i: number) => references.map(stream => stream[i]!);
	const bleuOptions = {...CORPUS_BLEU_DEFAULTS, tokenize: o.tokenize, lowercase: o.lowercase};
	return metrics.map((metric): MetricResult => {
		switch (metric) {
			case 'bleu': {
				const b = corpusBleu(hypotheses, references, bleuOptions);
				const segments = hypotheses.map((h, i) => corpusBleu([h], refsOf(i).map(r => [r]), {...bleuOptions, effectiveOrder: true}).score);
				return {
					metric,
					score: b.score,
					signature: `nrefs:${nrefs}|case:${o.lowercase ? 'lc' : 'mixed'}|eff:no|tok:${o.tokenize}|smooth:exp|version:sacrebleu-2-compatible`,
					details: {precisions: b.precisions, bp: b.brevityPenalty, ratio: b.refLength ? b.hypLength / b.refLength : 0, hypLength: b.hypLength, refLength: b.refLength},
					segments,
				};
			}
			case 'chrf': {
				const c = {...CHRF_DEFAULTS, lowercase: o.lowercase};
				return {
					metric,
					score: corpusChrf(hypotheses, references, c),
					signature: `nrefs:${nrefs}|case:${o.lowercase ? 'lc' : 'mixed'}|eff:yes|nc:${c.charOrder}|nw:0|space:no|version:sacrebleu-2-compatible`,
					details: {beta: c.beta},
					segments: hypotheses.map((h, i) => corpusChrf([h], refsOf(i).map(r => [r]), c)),
				};
			}
			case 'em':
			case 'f1': {
				const segments = hypotheses.map((h, i) => (metric === 'em' ? exactMatch(h, refsOf(i)) : tokenF1(h, refsOf(i))));
				return {metric, score: mean(segments), signature: `nrefs:${nrefs}|norm:squad-v1.1|agg:mean`, details: {}, segments};
			}
			default: {
				const scores = hypotheses.map((h, i) => rougeMulti(refsOf(i), h, metric as RougeType, {stem: o.stem}));
				return {
					metric,
					score: mean(scores.map(s => s.f)),
					signature: `nrefs:${nrefs}|tok:rouge-score|stem:${o.stem ? 'porter' : 'no'}|multi:best-f|agg:mean`,
					details: {precision: mean(scores.map(s => s.precision)), recall: mean(scores.map(s => s.recall))},
					segments: scores.map(s => s.f),
				};
			}
		}
	});
}

const NAMES: Record<MetricName, string> = {bleu: 'BLEU', chrf: 'chrF2', rouge1: 'ROUGE-1', rouge2: 'ROUGE-2', rougeL: 'ROUGE-L', rougeLsum: 'ROUGE-Lsum', em: 'EM', f1: 'F1'};

export function formatMetric(r: MetricResult): string {
	switch (r.metric) {
		case 'bleu': {
			const d = r.details as {precisions: number[]; bp: number; ratio: number; hypLength: number; refLength: number};
			return `BLEU|${r.signature} = ${r.score.toFixed(2)} ${d.precisions.map(p => p.toFixed(1)).join('/')} (BP = ${d.bp.toFixed(3)} ratio = ${d.ratio.toFixed(3)} hyp_len = ${d.hypLength} ref_len = ${d.refLength})`;
		}
		case 'chrf':
			return `chrF2|${r.signature} = ${r.score.toFixed(2)}`;
		case 'em':
		case 'f1':
			return `${NAMES[r.metric]}|${r.signature} = ${r.score.toFixed(4)}`;
		default: {
			const d = r.details as {precision: number; recall: number};
			return `${NAMES[r.metric]}|${r.signature} = F ${r.score.toFixed(4)} (P ${d.precision.toFixed(4)} R ${d.recall.toFixed(4)})`;
		}
	}
}
