/** `lmscope ratings summary`: means per axis and model, and agreement between raters. */
import {krippendorffAlpha} from '../analysis/agreement.js';
import {AXES, type Axis, type Rating} from './ratingStore.js';

export interface ModelMeans {
	model: string;
	ratings: number;
	means: Record<Axis, number>;
}

export interface RatingsSummary {
	ratings: number;
	raters: string[];
	models: ModelMeans[];
	/** Items rated by two or more raters; alpha per axis (ordinal), when defined. */
	agreement?: {items: number; alpha: Record<Axis, number | null>};
}

/** One rating per rater and item (prompt + output + model): a rater's latest one counts. */
function latest(ratings: Rating[]): Rating[] {
	const byKey = new Map<string, Rating>();
	for (const r of ratings) byKey.set(JSON.stringify([r.rater, r.model, r.prompt, r.output]), r);
	return [...byKey.values()];
}

export function summarizeRatings(all: Rating[]): RatingsSummary {
	const ratings = latest(all);
	const raters = [...new Set(ratings.map(r => r.rater))].sort();
	const models = [...new Set(ratings.map(r => r.model))].sort().map(model => {
		const mine = ratings.filter(r => r.model === model);
		const means = Object.fromEntries(AXES.map(axis => [axis, mine.reduce((s, r) => s + r[axis], 0) / mine.length])) as Record<Axis, number>;
		return {model, ratings: mine.length, means};
	});
	const summary: RatingsSummary = {ratings: ratings.length, raters, models};
	if (raters.length >= 2) {
		const items = new Map<string, Rating[]>();
		for (const r of ratings) {
			const key = JSON.stringify([r.model, r.prompt, r.output]);
			items.set(key, [...(items.get(key) ?? []), r]);
		}
		const shared = [...items.values()].filter(list => list.length >= 2);
		if (shared.length > 0) {
			const alpha = Object.fromEntries(
				AXES.map(axis => [axis, krippendorffAlpha(shared.map(list => list.map(r => r[axis])), 'ordinal') ?? null]),
			) as Record<Axis, number | null>;
			summary.agreement = {items: shared.length, alpha};
		}
	}
	return summary;
}

export function formatSummary(file: string, summary: RatingsSummary, problems: Array<{line: number; reason: string}>): string {
	const lines = [`${file}: ${summary.ratings} ratings by ${summary.raters.length} rater${summary.raters.length === 1 ? '' : 's'} (${summary.raters.join(', ') || 'none'})`];
	for (const p of problems) lines.push(`  line ${p.line}: ${p.reason}`);
	lines.push('', `${'model'.padEnd(24)}${'ratings'.padStart(8)}${AXES.map(a => a.padStart(9)).join('')}`);
	for (const m of summary.models) {
		lines.push(`${m.model.padEnd(24)}${String(m.ratings).padStart(8)}${AXES.map(a => m.means[a].toFixed(2).padStart(9)).join('')}`);
	}
	if (summary.agreement) {
		const a = summary.agreement;
		lines.push('', `agreement (Krippendorff's alpha, ordinal) over ${a.items} item${a.items === 1 ? '' : 's'} rated by 2+ raters:`);
		lines.push(`  ${AXES.map(axis => `${axis} ${a.alpha[axis] === null ? 'undefined (no variation)' : a.alpha[axis]!.toFixed(3)}`).join('   ')}`);
	} else if (summary.raters.length >= 2) {
		lines.push('', 'agreement: no item was rated by two or more raters');
	}
	return lines.join('\n');
}
