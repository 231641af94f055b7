/** The generated text and the map from its character offsets back to token positions. */
import type {DetectorInput} from '../findings.js';

export interface GeneratedText {
	text: string;
	/** starts[i]: offset in `text` where generated token i (position promptLength + i) begins. */
	starts: number[];
	promptLength: number;
}

export function generatedText(input: DetectorInput): GeneratedText {
	const starts: number[] = [];
	let text = '';
	input.tokens.slice(input.promptLength).forEach(token => {
		starts.push(text.length);
		if (token.id !== input.eosTokenId) text += token.text;
	});
	return {text, starts, promptLength: input.promptLength};
}

/** Token positions [start, end) covering the character range [from, to) of the generated text. */
export function tokenSpan(g: GeneratedText, from: number, to: number): {start: number; end: number} {
	let first = 0;
	while (first + 1 < g.starts.length && g.starts[first + 1]! <= from) first++;
	let last = first;
	while (last + 1 < g.starts.length && g.starts[last + 1]! < to) last++;
	return {start: g.promptLength + first, end: g.promptLength + last + 1};
}

export function promptText(input: DetectorInput): string {
	return input.tokens
		.slice(0, input.promptLength)
		.map(t => t.text)
		.join('');
}
