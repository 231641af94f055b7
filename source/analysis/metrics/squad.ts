/**
 * Exact match and token F1 as the SQuAD v1.1 evaluation script computes them: lower-case, remove
 * punctuation, remove the articles a/an/the, collapse whitespace; F1 on the bag of tokens; the best
 * over several references. 0-1.
 */

export function normalizeAnswer(text: string): string {
	const lower = text.toLowerCase();
	const noPunctuation = [...lower].filter(ch => !/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/.test(ch)).join('');
	const noArticles = noPunctuation.replace(/\b(a|an|the)\b/g, ' ');
	return noArticles.split(/\s+/).filter(Boolean).join(' ');
}

export function exactMatch(prediction: string, references: string[]): number {
	const p = normalizeAnswer(prediction);
	return references.some(r => normalizeAnswer(r) === p) ? 1 : 0;
}

function f1One(prediction: string, reference: string): number {
	const p = normalizeAnswer(prediction).split(' ').filter(Boolean);
	const r = normalizeAnswer(reference).split(' ').filter(Boolean);
	const counts = new Map<string, number>();
	for (const t of r) counts.set(t, (counts.get(t) ?? 0) + 1);
	let common = 0;
	for (const t of p) {
		const c = counts.get(t) ?? 0;
		if (c > 0) {
			common++;
			counts.set(t, c - 1);
		}
	}
	if (common === 0) return 0;
	const precision = common / p.length;
	const recall = common / r.length;
	return (2 * precision * recall) / (precision + recall);
}

export function tokenF1(prediction: string, references: string[]): number {
	return Math.max(0, ...references.map(r => f1One(prediction, r)));
}
