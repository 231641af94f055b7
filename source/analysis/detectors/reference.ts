/**
 * Checks against a reference or source text (eval data, or one pasted into the inspector).
 * - unsupported: numbers and capitalised names/entities in the output that the reference never
 *   mentions (compared case-insensitively; a capitalised word that opens a sentence is not counted
 *   as a name);
 * - omission: once generation has stopped, reference content words (stemmed) the output lacks;
 *   a warning when more than half are missing;
 * - contradiction: an output sentence that negates a reference sentence (or the reverse): the two
 *   share most of their content words (Jaccard >= 0.6, at least 2) and exactly one has a negation.
 */
import type {Detector, Finding} from '../findings.js';
import {generatedText, tokenSpan} from './spans.js';
import {contentStems, isContentWord, stemmer, words} from './words.js';

const NEGATION = /\b(not|no|never|none|nothing|neither|nor|cannot)\b|n't\b/i;

function sentences(text: string): Array<{text: string; start: number}> {
	const out: Array<{text: string; start: number}> = [];
	for (const m of text.matchAll(/[^.!?\n]+[.!?]*/g)) if (m[0].trim()) out.push({text: m[0], start: m.index!});
	return out;
}

export function referenceChecks(): Detector {
	return input => {
		if (!input.reference?.trim()) return [];
		const g = generatedText(input);
		if (g.text.trim() === '') return [];
		const reference = input.reference;
		const findings: Finding[] = [];
		const refLower = new Set(words(reference).map(w => w.lower));
		const refStems = contentStems(reference);

		// Entities: runs of capitalised words (not sentence-initial) and numbers.
		const out = words(g.text);
		for (let i = 0; i < out.length; i++) {
			const w = out[i]!;
			const before = g.text.slice(0, w.start).trimEnd();
			const sentenceStart = before === '' || /[.!?:"]$/.test(before);
			const isNumber = /^\d/.test(w.text);
			const isName = /^\p{Lu}/u.test(w.text) && !sentenceStart;
			if (!isNumber && !isName) continue;
			let j = i;
			if (isName) while (j + 1 < out.length && /^\p{Lu}/u.test(out[j + 1]!.text) && g.text.slice(out[j]!.end, out[j + 1]!.start) === ' ') j++;
			const entity = out.slice(i, j + 1);
			if (entity.some(e => !refLower.has(e.lower))) {
				const text = g.text.slice(entity[0]!.start, entity.at(-1)!.end);
				findings.push({group: 'reference', category: 'unsupported', severity: 'warning', ...tokenSpan(g, entity[0]!.start, entity.at(-1)!.end), explanation: `${isNumber ? 'number' : 'name'} "${text}" is not in the reference`});
			}
			i = j;
		}

		if (input.stop) {
			const outStems = new Set(out.filter(isContentWord).map(w => stemmer(w.lower)));
			const missing = [...refStems].filter(s => !outStems.has(s));
			if (missing.length > 0) {
				findings.push({
					group: 'reference',
					category: 'omission',
					severity: missing.length > refStems.size / 2 ? 'warning' : 'info',
					start: input.promptLength,
					end: input.tokens.length,
					explanation: `${missing.length} of ${refStems.size} reference content words missing: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', ...' : ''}`,
				});
			}
		}

		const refSentences = sentences(reference).map(s => ({negated: NEGATION.test(s.text), stems: contentStems(s.text), text: s.text.trim()}));
		for (const sentence of sentences(g.text)) {
			const stems = contentStems(sentence.text);
			const negated = NEGATION.test(sentence.text);
			for (const ref of refSentences) {
				if (ref.negated === negated) continue;
				const shared = [...stems].filter(s => ref.stems.has(s)).length;
				const union = new Set([...stems, ...ref.stems]).size;
				if (shared >= 2 && shared / union >= 0.6) {
					findings.push({group: 'reference', category: 'contradiction', severity: 'error', ...tokenSpan(g, sentence.start, sentence.start + sentence.text.trimEnd().length), explanation: `${negated ? 'negates' : 'affirms what is negated in'} the reference: "${ref.text.slice(0, 60)}"`});
					break;
				}
			}
		}
		return findings;
	};
}
