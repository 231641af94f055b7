/**
 * BLEU on 36 sentence pairs against values computed independently with NLTK
 * (test/fixtures/metrics/pairs.json, made by compute_reference.py): sentence BLEU with NIST
 * geometric smoothing and corpus BLEU, both with whitespace tokenization. Tolerance 0.01 BLEU.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {describe, it} from 'node:test';
import {corpusBleu, sentenceBleu} from '../source/analysis/metrics/bleu.js';
import {sentenceChrf} from '../source/analysis/metrics/chrf.js';
import {ROOT} from './helpers.js';

interface Pair {
	hypothesis: string;
	reference: string;
	sentence_bleu_exp_tok_none: number | null;
	sentence_chrf_beta2: number;
	sentence_chrf_beta3: number;
}

const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/metrics/pairs.json'), 'utf8')) as {pairs: Pair[]; corpus_bleu_none_tok_none: Record<string, number>};

describe('BLEU and chrF against NLTK on 36 sentence pairs', () => {
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
});
