/**
 * Metrics on 36 sentence pairs against independent implementations: BLEU (sentence with NIST
 * geometric smoothing, corpus; whitespace tokenization) and chrF computed with NLTK into
 * test/fixtures/metrics/pairs.json by compute_reference.py; ROUGE computed here with js-rouge.
 * Tolerance 0.01 (BLEU, chrF points) and 1e-4 (ROUGE F).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {describe, it} from 'node:test';
import {corpusBleu, sentenceBleu} from '../source/analysis/metrics/bleu.js';
import * as jsRouge from 'js-rouge';
import {sentenceChrf} from '../source/analysis/metrics/chrf.js';
import {rouge, rougeTokenize} from '../source/analysis/metrics/rouge.js';
import {ROOT} from './helpers.js';

interface Pair {
	hypothesis: string;
	reference: string;
	sentence_bleu_exp_tok_none: number | null;
	sentence_chrf_beta2: number;
	sentence_chrf_beta3: number;
}

const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/metrics/pairs.json'), 'utf8')) as {pairs: Pair[]; corpus_bleu_none_tok_none: Record<string, number>};

describe('BLEU and chrF against NLTK, ROUGE against js-rouge, on 36 sentence pairs', () => {
	it('has at least 30 pairs', () => assert.ok(fixture.pairs.length >= 30));
	it('sentence BLEU (exp smoothing = NLTK method3, tokenize none)', () => {
		let checked = 0;
		for (const pair of fixture.pairs) {
			if (pair.sentence_bleu_exp_tok_none === null) continue;
			const ours = sentenceBleu(pair.hypothesis, [pair.reference], {tokenize: 'none'}).score;
			assert.ok(Math.abs(ours - pair.sentence_bleu_exp_tok_none) <= 0.01, `${JSON.stringify(pair.hypothesis)}: ${ours} vs NLTK ${pair.sentence_bleu_exp_tok_none}`);
			checked++;
		}
		assert.ok(checked >= 30);
	});
	it('sentence chrF, beta 2 (SacreBLEU default) and 3', () => {
		for (const pair of fixture.pairs) {
			for (const [beta, expected] of [[2, pair.sentence_chrf_beta2], [3, pair.sentence_chrf_beta3]] as const) {
				const ours = sentenceChrf(pair.hypothesis, [pair.reference], {beta});
				assert.ok(Math.abs(ours - expected) <= 0.01, `beta ${beta}, ${JSON.stringify(pair.hypothesis)}: ${ours} vs NLTK ${expected}`);
			}
		}
	});

	it('corpus BLEU (no smoothing, tokenize none) on the whole set and its halves', () => {
		const slices: Record<string, Pair[]> = {all: fixture.pairs, first_half: fixture.pairs.slice(0, 18), second_half: fixture.pairs.slice(18)};
		for (const [name, pairs] of Object.entries(slices)) {
			const ours = corpusBleu(pairs.map(p => p.hypothesis), [pairs.map(p => p.reference)], {tokenize: 'none', smoothing: 'none'}).score;
			assert.ok(Math.abs(ours - fixture.corpus_bleu_none_tok_none[name]!) <= 0.01, `${name}: ${ours} vs NLTK ${fixture.corpus_bleu_none_tok_none[name]}`);
		}
	});

	// js-rouge is an independent ROUGE implementation (npm); given rouge-score's tokenization and
	// beta 1 it must agree with ours on the counting, the LCS and the summary-level union LCS.
	it('ROUGE-1, ROUGE-2, ROUGE-L against js-rouge', () => {
		const tokenizer = (x: string) => rougeTokenize(x, false);
		for (const pair of fixture.pairs) {
			const reference = [
				jsRouge.n(pair.hypothesis, pair.reference, {n: 1, beta: 1, tokenizer}),
				jsRouge.n(pair.hypothesis, pair.reference, {n: 2, beta: 1, tokenizer}),
				jsRouge.l(pair.hypothesis, pair.reference, {beta: 1, tokenizer, segmenter: x => [x]}),
			];
			const ours = (['rouge1', 'rouge2', 'rougeL'] as const).map(type => rouge(pair.reference, pair.hypothesis, type).f);
			ours.forEach((v, i) => assert.ok(Math.abs(v - reference[i]!) <= 1e-4, `${JSON.stringify(pair.hypothesis)}: ${v} vs js-rouge ${reference[i]}`));
		}
	});

	it('ROUGE-Lsum against js-rouge on three-sentence summaries', () => {
		const tokenizer = (x: string) => rougeTokenize(x, false);
		for (let i = 0; i + 3 <= fixture.pairs.length; i += 3) {
			const hypothesis = fixture.pairs.slice(i, i + 3).map(p => p.hypothesis).join('\n');
			const reference = fixture.pairs.slice(i, i + 3).map(p => p.reference).join('\n');
			const expected = jsRouge.l(hypothesis, reference, {beta: 1, tokenizer, segmenter: x => x.split('\n')});
			assert.ok(Math.abs(rouge(reference, hypothesis, 'rougeLsum').f - expected) <= 1e-4);
		}
	});
});
