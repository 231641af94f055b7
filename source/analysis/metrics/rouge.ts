/**
 * ROUGE as Google's rouge-score package computes it (which matches ROUGE-1.5.5): lower-case, every
 * run of characters outside [a-z0-9] becomes a space, optional Porter stemming of tokens longer than
 * 3 characters; ROUGE-N on n-gram overlap, ROUGE-L on the longest common subsequence, ROUGE-Lsum on
 * the summary-level union LCS over newline-separated sentences. Precision, recall and F1 in 0-1.
 * With several references, the one with the best F1 counts (rouge-score's `score_multi`).
 */
import {stemmer} from 'stemmer';

export interface RougeScore {
	precision: number;
	recall: number;
	f: number;
}

export type RougeType = 'rouge1' | 'rouge2' | 'rougeL' | 'rougeLsum';

export function rougeTokenize(text: string, stem: boolean): string[] {
	const tokens = text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').split(/\s+/);
	return tokens.map(t => (stem && t.length > 3 ? stemmer(t) : t)).filter(t => /^[a-z0-9]+$/.test(t));
}

const fmeasure = (precision: number, recall: number) => (precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0);

function ngramCounts(tokens: string[], n: number): Map<string, number> {
	const counts = new Map<string, number>();
	for (let i = 0; i + n <= tokens.length; i++) {
		const key = tokens.slice(i, i + n).join(' ');
		counts.set(key, (counts.get(key) ?? 0) + 1);
	}
	return counts;
}

function rougeN(target: string[], prediction: string[], n: number): RougeScore {
	const t = ngramCounts(target, n);
	const p = ngramCounts(prediction, n);
	let overlap = 0;
	for (const [k, c] of t) overlap += Math.min(c, p.get(k) ?? 0);
	const tCount = [...t.values()].reduce((s, c) => s + c, 0);
	const pCount = [...p.values()].reduce((s, c) => s + c, 0);
	const precision = overlap / Math.max(pCount, 1);
	const recall = overlap / Math.max(tCount, 1);
	return {precision, recall, f: fmeasure(precision, recall)};
}

function lcsTable(ref: string[], can: string[]): number[][] {
	const table = Array.from({length: ref.length + 1}, () => new Array<number>(can.length + 1).fill(0));
	for (let i = 1; i <= ref.length; i++) {
		for (let j = 1; j <= can.length; j++) {
			table[i]![j] = ref[i - 1] === can[j - 1] ? table[i - 1]![j - 1]! + 1 : Math.max(table[i - 1]![j]!, table[i]![j - 1]!);
		}
	}
	return table;
}

/** Indices into `ref` of one longest common subsequence (the same one rouge-score reads out). */
function lcsIndices(ref: string[], can: string[]): number[] {
	const t = lcsTable(ref, can);
	const out: number[] = [];
	let i = ref.length;
	let j = can.length;
	while (i > 0 && j > 0) {
		if (ref[i - 1] === can[j - 1]) {
			out.unshift(i - 1);
			i--;
			j--;
		} else if (t[i]![j - 1]! > t[i - 1]![j]!) j--;
		else i--;
	}
	return out;
}

function rougeL(target: string[], prediction: string[]): RougeScore {
	if (target.length === 0 || prediction.length === 0) return {precision: 0, recall: 0, f: 0};
	const lcs = lcsTable(target, prediction)[target.length]![prediction.length]!;
	const precision = lcs / prediction.length;
	const recall = lcs / target.length;
	return {precision, recall, f: fmeasure(precision, recall)};
}

function rougeLsum(targetSentences: string[][], predictionSentences: string[][]): RougeScore {
	const m = targetSentences.reduce((s, x) => s + x.length, 0);
	const n = predictionSentences.reduce((s, x) => s + x.length, 0);
	if (targetSentences.length === 0 || predictionSentences.length === 0 || m === 0 || n === 0) return {precision: 0, recall: 0, f: 0};
	const countsR = new Map<string, number>();
	const countsC = new Map<string, number>();
	for (const s of targetSentences) for (const t of s) countsR.set(t, (countsR.get(t) ?? 0) + 1);
	for (const s of predictionSentences) for (const t of s) countsC.set(t, (countsC.get(t) ?? 0) + 1);
	let hits = 0;
	for (const ref of targetSentences) {
		const union = [...new Set(predictionSentences.flatMap(can => lcsIndices(ref, can)))].sort((a, b) => a - b);
		for (const index of union) {
			const token = ref[index]!;
			// Each token counts at most as often as it occurs on both sides (ROUGE-1.5.5).
			if ((countsC.get(token) ?? 0) > 0 && (countsR.get(token) ?? 0) > 0) {
				hits++;
				countsC.set(token, countsC.get(token)! - 1);
				countsR.set(token, countsR.get(token)! - 1);
			}
		}
	}
	const precision = hits / n;
	const recall = hits / m;
	return {precision, recall, f: fmeasure(precision, recall)};
}

export function rouge(target: string, prediction: string, type: RougeType, options: {stem?: boolean} = {}): RougeScore {
	const stem = options.stem ?? false;
	switch (type) {
		case 'rouge1':
			return rougeN(rougeTokenize(target, stem), rougeTokenize(prediction, stem), 1);
		case 'rouge2':
			return rougeN(rougeTokenize(target, stem), rougeTokenize(prediction, stem), 2);
		case 'rougeL':
			return rougeL(rougeTokenize(target, stem), rougeTokenize(prediction, stem));
		case 'rougeLsum': {
			const sentences = (text: string) => text.split('\n').map(s => rougeTokenize(s, stem)).filter(s => s.length > 0);
			return rougeLsum(sentences(target), sentences(prediction));
		}
	}
}

/** The best-F1 reference (rouge-score's score_multi). */
export function rougeMulti(targets: string[], prediction: string, type: RougeType, options: {stem?: boolean} = {}): RougeScore {
	let best: RougeScore = {precision: 0, recall: 0, f: 0};
	let first = true;
	for (const target of targets) {
		const score = rouge(target, prediction, type, options);
		if (first || score.f > best.f) [best, first] = [score, false];
	}
	return best;
}
