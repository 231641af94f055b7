/**
 * Ending: how generation stopped.
 * - immediate-eos: the first generated token was end-of-sequence;
 * - empty-output: generation stopped and produced nothing but whitespace;
 * - truncated: the token limit or the context cut the output off mid-sentence (it does not end in
 *   sentence-final punctuation, a closing quote or bracket, or a newline).
 */
import type {Detector, Finding} from '../findings.js';
import {generatedText} from './spans.js';

export function ending(): Detector {
	return input => {
		const generated = input.tokens.length - input.promptLength;
		if (generated === 0 || !input.stop) return [];
		const first = input.promptLength;
		const all = {start: first, end: input.tokens.length};
		if (input.tokens[first]!.id === input.eosTokenId) {
			return [{group: 'ending', category: 'immediate-eos', severity: 'error', ...all, explanation: 'the model ended the sequence before writing anything'}];
		}
		const {text} = generatedText(input);
		const findings: Finding[] = [];
		if (text.trim() === '') findings.push({group: 'ending', category: 'empty-output', severity: 'error', ...all, explanation: 'the output is empty or only whitespace'});
		else if ((input.stop === 'limit' || input.stop === 'context') && !/[.!?;:"'”’)\]}\n]\s*$/.test(text)) {
			const last = input.tokens.length - 1;
			findings.push({group: 'ending', category: 'truncated', severity: 'warning', start: last, end: last + 1, explanation: `cut off mid-sentence by ${input.stop === 'limit' ? 'the token limit' : 'the context length'}`});
		}
		return findings;
	};
}
