/** Words and content words (no stop words, Porter-stemmed), for comparing texts. */
import {stemmer} from 'stemmer';
import {eng} from 'stopword';

const STOP = new Set(eng);
// Archaic forms the stop-word list lacks; the default model writes King James English.
for (const w of ['thee', 'thou', 'thy', 'thine', 'ye', 'unto', 'hath', 'saith', 'shalt', 'shall', 'art', 'doth', 'upon']) STOP.add(w);
// Negations are function words too (the contradiction check looks for them separately).
for (const w of ['not', 'no', 'never', 'nor', 'none', 'nothing', 'neither', 'cannot']) STOP.add(w);

export interface Word {
	text: string;
	lower: string;
	start: number;
	end: number;
}

export function words(text: string): Word[] {
	const out: Word[] = [];
	for (const m of text.matchAll(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu)) {
		out.push({text: m[0], lower: m[0].toLowerCase(), start: m.index!, end: m.index! + m[0].length});
	}
	return out;
}

export function isContentWord(word: Word): boolean {
	return !STOP.has(word.lower) && !/^\d+$/.test(word.lower) && word.lower.length > 1;
}

/** Stemmed content words: what a text is about. */
export function contentStems(text: string): Set<string> {
	return new Set(words(text).filter(isContentWord).map(w => stemmer(w.lower)));
}

export {stemmer};
