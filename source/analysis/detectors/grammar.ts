/**
 * Grammar and style, with the unified/retext prose linters where one exists:
 * - repeated-word (retext-repeated-words): "the the";
 * - a-an (retext-indefinite-article): "a elephant", "an dog";
 * - sentence-case: a sentence that starts with a lower-case letter after sentence-final punctuation;
 * - unbalanced: a closing bracket with no opener, or, once generation has stopped, an opening
 *   bracket or a double quote left open. (No retext plugin checks balance; this one is a stack.)
 * The prompt is linted together with the output, so a slip across the boundary counts; only
 * findings inside the output are reported.
 */
import {retext} from 'retext';
import retextEnglish from 'retext-english';
import retextIndefiniteArticle from 'retext-indefinite-article';
import retextRepeatedWords from 'retext-repeated-words';
import type {Detector, Finding} from '../findings.js';
import {generatedText, promptText, tokenSpan} from './spans.js';

const ABBREVIATION = /^(?:[a-z]|e\.g|i\.e|etc|vs|cf|mr|mrs|ms|dr|st|no|vol|ch|ver|al)$/;

const processor = retext().use(retextEnglish).use(retextRepeatedWords).use(retextIndefiniteArticle);

export function grammar(): Detector {
	return input => {
		const g = generatedText(input);
		if (g.text.trim() === '') return [];
		const prompt = promptText(input);
		const full = prompt + g.text;
		const offset = prompt.length;
		const findings: Finding[] = [];
		const add = (category: string, from: number, to: number, explanation: string) => {
			if (to <= offset) return;
			const span = tokenSpan(g, Math.max(0, from - offset), Math.max(1, to - offset));
			findings.push({group: 'grammar', category, severity: 'warning', ...span, explanation});
		};

		for (const m of processor.processSync(full).messages) {
			const from = m.place && 'start' in m.place ? m.place.start.offset ?? 0 : 0;
			const to = m.place && 'end' in m.place ? m.place.end.offset ?? from + 1 : from + 1;
			add(m.source === 'retext-repeated-words' ? 'repeated-word' : 'a-an', from, to, m.reason);
		}

		// retext-english deliberately keeps "came. and" in one sentence (a lower-case word after a
		// period usually means an abbreviation), so sentence-case slips are found here: sentence-final
		// punctuation, space, then a lower-case word, unless what precedes the period is an abbreviation.
		for (const m of full.matchAll(/(\S*)[.!?]["')\]]?\s+(\p{Ll}[\p{L}']*)/gu)) {
			const before = m[1]!.toLowerCase();
			if (ABBREVIATION.test(before)) continue;
			const start = m.index! + m[0].length - m[2]!.length;
			add('sentence-case', start, start + m[2]!.length, `sentence starts with lower-case "${m[2]}"`);
		}

		const pairs: Record<string, string> = {')': '(', ']': '[', '}': '{'};
		const stack: Array<{char: string; at: number}> = [];
		for (let i = 0; i < full.length; i++) {
			const ch = full[i]!;
			if (ch === '(' || ch === '[' || ch === '{') stack.push({char: ch, at: i});
			else if (ch in pairs) {
				if (stack.at(-1)?.char === pairs[ch]) stack.pop();
				else add('unbalanced', i, i + 1, `"${ch}" closes nothing`);
			}
		}
		if (input.stop) {
			for (const open of stack) add('unbalanced', open.at, open.at + 1, `"${open.char}" is never closed`);
			const quotes = [...full.matchAll(/"/g)].map(m => m.index!);
			if (quotes.length % 2 === 1) add('unbalanced', quotes.at(-1)!, quotes.at(-1)! + 1, 'a double quote is never closed');
		}
		return findings;
	};
}
