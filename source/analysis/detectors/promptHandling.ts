/**
 * Prompt handling.
 * - prompt-echo: the output mostly repeats the prompt: its longest run of words copied from the
 *   prompt (in order) is at least `minEchoWords` words and at least `echoFraction` of the output;
 * - topic-drift: the last `driftWindow` content words of the output share no (stemmed) content word
 *   with the prompt: the text has wandered off what it was asked about.
 */
import type {Detector, Finding} from '../findings.js';
import {generatedText, promptText, tokenSpan} from './spans.js';
import {contentStems, isContentWord, stemmer, words} from './words.js';

export interface PromptOptions {
	minEchoWords: number;
	echoFraction: number;
	driftWindow: number;
}

export const PROMPT_DEFAULTS: PromptOptions = {minEchoWords: 4, echoFraction: 0.6, driftWindow: 12};

export function promptHandling(options: PromptOptions = PROMPT_DEFAULTS): Detector {
	return input => {
		const g = generatedText(input);
		const prompt = promptText(input);
		const out = words(g.text);
		if (out.length === 0) return [];
		const findings: Finding[] = [];

		// Longest common run of words (case-insensitive), by dynamic programming.
		const src = words(prompt).map(w => w.lower);
		let best = 0;
		let bestEnd = 0;
		let row = new Array<number>(src.length + 1).fill(0);
		for (let i = 1; i <= out.length; i++) {
			const next = new Array<number>(src.length + 1).fill(0);
			for (let j = 1; j <= src.length; j++) {
				if (out[i - 1]!.lower === src[j - 1]) {
					next[j] = row[j - 1]! + 1;
					if (next[j]! > best) [best, bestEnd] = [next[j]!, i];
				}
			}
			row = next;
		}
		if (best >= options.minEchoWords && best >= options.echoFraction * out.length) {
			const span = tokenSpan(g, out[bestEnd - best]!.start, out[bestEnd - 1]!.end);
			findings.push({group: 'prompt', category: 'prompt-echo', severity: 'warning', ...span, explanation: `${best} of the output's ${out.length} words repeat the prompt verbatim`});
		}

		const topic = contentStems(prompt);
		const content = out.filter(isContentWord);
		if (topic.size > 0 && content.length >= options.driftWindow) {
			const window = content.slice(-options.driftWindow);
			if (!window.some(w => topic.has(stemmer(w.lower)))) {
				const span = tokenSpan(g, window[0]!.start, window.at(-1)!.end);
				findings.push({group: 'prompt', category: 'topic-drift', severity: 'info', ...span, explanation: `the last ${options.driftWindow} content words share none with the prompt`});
			}
		}
		return findings;
	};
}
