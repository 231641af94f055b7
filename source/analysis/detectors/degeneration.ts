/**
 * Degeneration: the generation pathologies of neural text (Holtzman et al., 2020).
 * - repetition: an n-gram of 2..maxPeriod tokens repeated back to back at least `minLoopRepeats` times;
 * - stuck-token: one token repeated at least `minStuckRepeats` times in a row;
 * - symbol-run: at least `minSymbolRun` consecutive tokens of punctuation or symbols only.
 */
import type {Detector, DetectorInput, Finding} from '../findings.js';

export interface DegenerationOptions {
	maxPeriod: number;
	minLoopRepeats: number;
	minStuckRepeats: number;
	minSymbolRun: number;
}

export const DEGENERATION_DEFAULTS: DegenerationOptions = {maxPeriod: 20, minLoopRepeats: 3, minStuckRepeats: 4, minSymbolRun: 4};

export function degeneration(options: DegenerationOptions = DEGENERATION_DEFAULTS): Detector {
	return input => [...loops(input, options), ...symbolRuns(input, options)];
}

function loops(input: DetectorInput, o: DegenerationOptions): Finding[] {
	const from = input.promptLength;
	const ids = input.tokens.map(t => t.id);
	const end = input.tokens.length - (input.stop === 'eos' ? 1 : 0);
	const findings: Finding[] = [];
	const same = (a: number, b: number, n: number) => {
		for (let j = 0; j < n; j++) if (ids[a + j] !== ids[b + j]) return false;
		return true;
	};
	for (let i = from; i < end; ) {
		let found: {period: number; repeats: number} | undefined;
		for (let period = 1; period <= o.maxPeriod && i + 2 * period <= end; period++) {
			let repeats = 1;
			while (i + (repeats + 1) * period <= end && same(i, i + repeats * period, period)) repeats++;
			const needed = period === 1 ? o.minStuckRepeats : o.minLoopRepeats;
			if (repeats >= needed) {
				found = {period, repeats};
				break;
			}
		}
		if (!found) {
			i++;
			continue;
		}
		const span = found.period * found.repeats;
		const text = input.tokens.slice(i, i + found.period).map(t => t.text).join('');
		findings.push(
			found.period === 1
				? {group: 'degeneration', category: 'stuck-token', severity: 'error', start: i, end: i + span, explanation: `${JSON.stringify(text)} repeated ${found.repeats} times in a row from token ${i}`}
				: {group: 'degeneration', category: 'repetition', severity: 'error', start: i, end: i + span, explanation: `loop: ${JSON.stringify(text)} (${found.period} tokens) repeated ${found.repeats} times from token ${i}`},
		);
		i += span;
	}
	return findings;
}

function symbolRuns(input: DetectorInput, o: DegenerationOptions): Finding[] {
	const findings: Finding[] = [];
	const isSymbol = (text: string) => text.trim() !== '' && !/[\p{L}\p{N}]/u.test(text);
	let start = -1;
	const close = (end: number) => {
		if (start >= 0 && end - start >= o.minSymbolRun) {
			const text = input.tokens.slice(start, end).map(t => t.text).join('');
			findings.push({group: 'degeneration', category: 'symbol-run', severity: 'warning', start, end, explanation: `${end - start} tokens of punctuation or symbols: ${JSON.stringify(text.slice(0, 24))}`});
		}
		start = -1;
	};
	for (let i = input.promptLength; i < input.tokens.length; i++) {
		const token = input.tokens[i]!;
		if (token.id !== input.eosTokenId && isSymbol(token.text)) {
			if (start < 0) start = i;
		} else close(i);
	}
	close(input.tokens.length);
	return findings;
}
