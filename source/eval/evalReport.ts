/** The end-of-run report of `lmscope eval`: metric table with CIs, findings, worst items, a chart. */
import asciichart from 'asciichart';
import type {MetricName} from '../analysis/metrics/corpus.js';
import type {DataProblem} from './dataset.js';
import type {MetricSummary} from './aggregate.js';
import type {EvalMetric, ItemResult} from './evaluateItem.js';

const LABELS: Record<EvalMetric, string> = {bleu: 'BLEU', chrf: 'chrF2', rouge1: 'ROUGE-1 F', rouge2: 'ROUGE-2 F', rougeL: 'ROUGE-L F', rougeLsum: 'ROUGE-Lsum F', em: 'EM', f1: 'F1', perplexity: 'perplexity'};
const digits = (metric: EvalMetric) => (metric === 'bleu' || metric === 'chrf' || metric === 'perplexity' ? 2 : 4);

function clip(text: string, width: number): string {
	const flat = JSON.stringify(text);
	return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

export interface ReportInput {
	data: string;
	header: string;
	results: ItemResult[];
	problems: DataProblem[];
	summaries: MetricSummary[];
	findings: Array<{category: string; count: number; items: number}>;
	primary?: MetricName;
	broken: string[];
}

export function formatEvalReport(r: ReportInput): string {
	const lines = [r.header];
	for (const p of r.problems) lines.push(`  skipped line ${p.line}: ${p.reason}`);
	if (r.summaries.length > 0) {
		lines.push('', `${'metric'.padEnd(14)}${'score'.padStart(10)}   95% CI (bootstrap)      items`);
		for (const s of r.summaries) {
			const d = digits(s.metric);
			lines.push(`${LABELS[s.metric].padEnd(14)}${s.score.toFixed(d).padStart(10)}   [${s.low.toFixed(d)}, ${s.high.toFixed(d)}]`.padEnd(50) + String(s.items).padStart(6));
		}
	} else {
		lines.push('', 'no metrics: the data has no references (set --reference-field)');
	}
	lines.push('', `findings: ${r.findings.length ? r.findings.map(f => `${f.category} ${f.count} (in ${f.items} item${f.items === 1 ? '' : 's'})`).join(', ') : 'none'}`);
	const primary = r.primary;
	if (primary) {
		const scored = r.results.filter(i => i.scores[primary] !== undefined);
		const worst = [...scored].sort((a, b) => a.scores[primary]! - b.scores[primary]!).slice(0, 5);
		if (worst.length > 0) {
			lines.push('', `worst items by ${LABELS[primary]}:`);
			for (const item of worst) lines.push(`  line ${String(item.line).padEnd(5)} ${item.scores[primary]!.toFixed(digits(primary)).padStart(7)}  ${clip(item.prompt, 28)} -> ${clip(item.output, 40)}`);
		}
		if (scored.length >= 2) {
			lines.push('', `${LABELS[primary]} per item, in data order:`);
			lines.push(asciichart.plot(scored.map(i => i.scores[primary]!), {height: 8, format: (x: number) => x.toFixed(digits(primary) === 2 ? 1 : 2).padStart(7)}));
		}
	}
	for (const b of r.broken) lines.push(`fail-under: ${b}`);
	return lines.join('\n');
}
