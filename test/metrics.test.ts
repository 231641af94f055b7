/**
 * Metrics against the reference implementations' own published test cases:
 * SacreBLEU's test_bleu.py, test_sentence_bleu.py and test_chrf.py; rouge-score's
 * rouge_scorer_test.py (its values come from ROUGE-1.5.5 runs) with its testdata lines; the SQuAD
 * v1.1 evaluation's normalisation. Tolerances are the reference suites' own where they state one.
 */
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {bleuFromStatistics, bleuSentenceStatistics, corpusBleu, sentenceBleu} from '../source/analysis/metrics/bleu.js';
import {bleuTokenize} from '../source/analysis/metrics/bleuTokenizers.js';
import {corpusChrf, sentenceChrf} from '../source/analysis/metrics/chrf.js';
import {rouge, rougeMulti} from '../source/analysis/metrics/rouge.js';
import {exactMatch, normalizeAnswer, tokenF1} from '../source/analysis/metrics/squad.js';

const near = (actual: number, expected: number, eps: number, what = '') => assert.ok(Math.abs(actual - expected) < eps, `${what} ${actual} vs ${expected}`);

describe('BLEU (SacreBLEU test_bleu.py)', () => {
	const refs = [
		['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
		['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
	];
	const hyps = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
	for (const [kwargs, expected] of [
		[{}, 48.530827],
		[{tokenize: 'none'}, 49.1919566],
		[{tokenize: '13a'}, 48.530827],
		[{tokenize: 'intl'}, 43.91623493],
		[{smoothing: 'none'}, 48.530827],
	] as const) {
		it(`corpus BLEU ${JSON.stringify(kwargs)} = ${expected}`, () => near(corpusBleu(hyps, refs.map(r => [...r]), kwargs).score, expected, 1e-6));
	}
	it('empty hypotheses are scored, not removed', () => assert.equal(corpusBleu(['', '', ''], refs.map(r => [...r])).score, 0));

	// raw_corpus_bleu = floor smoothing, no tokenization, effective order.
	const raw = (h: string[], r: string[], floor: number) => corpusBleu(h, [r], {smoothing: 'floor', smoothValue: floor, tokenize: 'none', effectiveOrder: true}).score / 100;
	it('raw BLEU cases', () => {
		near(raw(['this is a test'], ['this is a test'], 0.01), 1.0, 1e-8);
		near(raw(['this is a fest'], ['this is a test'], 0.01), 0.223606797749979, 1e-8);
	});
	it('effective order', () => {
		near(raw(['test'], ['a test'], 0.01), 0.3678794411714425, 1e-8);
		near(raw(['a test'], ['a test'], 0.01), 1.0, 1e-8);
		near(raw(['a little test'], ['a test'], 0.01), 0.03218297948685433, 1e-8);
	});
	it('statistics', () => {
		const s = bleuSentenceStatistics(bleuTokenize('am I am a character sequence', 'none'), [bleuTokenize('I am a symbol string sequence a a', 'none')]);
		assert.deepEqual([s.correct, s.total], [[4, 2, 1, 0], [6, 5, 4, 3]]);
	});
	it('offset (floor 0 and the default 0.1)', () => {
		assert.equal(raw(['am I am a character sequence'], ['I am a symbol string sequence a a'], 0), 0);
		near(corpusBleu(['am I am a character sequence'], [['I am a symbol string sequence a a']], {smoothing: 'floor', tokenize: 'none', effectiveOrder: true}).score / 100, 0.1555722182, 1e-8);
	});
	it('scoring from statistics', () => {
		near(bleuFromStatistics({correct: [9, 7, 5, 3], total: [10, 8, 6, 4], hypLength: 11, refLength: 11}, {smoothing: 'none', effectiveOrder: false, maxOrder: 4}).score / 100, 0.8375922397, 1e-8);
	});
	it('degenerate statistics give 0', () => {
		for (const [correct, total, hyp, ref, floor] of [
			[[0, 0, 0, 0], [4, 4, 2, 1], 0, 1, 0],
			[[0, 0, 0, 0], [10, 11, 12, 0], 14, 10, 0],
			[[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0],
			[[6, 5, 4, 0], [6, 5, 4, 3], 6, 6, 0],
			[[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.1],
			[[0, 0, 0, 0], [0, 0, 0, 0], 1, 5, 0.01],
		] as const) {
			assert.equal(bleuFromStatistics({correct: [...correct], total: [...total], hypLength: hyp, refLength: ref}, {smoothing: 'floor', smoothValue: floor, effectiveOrder: false, maxOrder: 4}).score, 0);
		}
	});
});

describe('sentence BLEU (SacreBLEU test_sentence_bleu.py)', () => {
	const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
	const SYS = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';
	for (const [smoothing, value, lowercase, tokenize, expected] of [
		['exp', undefined, false, '13a', 8.493],
		['none', undefined, false, '13a', 0.0],
		['floor', undefined, false, '13a', 4.51688],
		['floor', 0.1, false, '13a', 4.51688],
		['floor', 0.5, false, '13a', 10.1],
		['add-k', undefined, false, '13a', 14.882],
		['add-k', 1, false, '13a', 14.882],
		['add-k', 2, false, '13a', 21.389],
		['exp', undefined, false, 'none', 7.347],
		['exp', undefined, false, 'intl', 8.493],
		['exp', undefined, false, 'char', 40.8759],
		['exp', undefined, true, 'char', 42.0267],
	] as const) {
		it(`${smoothing}${value === undefined ? '' : ` ${value}`} ${tokenize}${lowercase ? ' lowercase' : ''} = ${expected}`, () => {
			near(sentenceBleu(SYS, [REF], {smoothing, smoothValue: value, lowercase, tokenize}).score, expected, 1e-3);
		});
	}
	it('zero BLEU when nothing matches, whatever the smoothing', () => {
		for (const smoothing of ['exp', 'none', 'floor', 'add-k'] as const) assert.equal(sentenceBleu('this is a cat', ['okay thanks'], {smoothing}).score, 0);
	});
});

describe('chrF (SacreBLEU test_chrf.py)', () => {
	const eps = 1e-4;
	for (const [hyps, refs, expected] of [
		[['abcdefg'], ['hijklmnop'], 0.0],
		[['a'], ['b'], 0.0],
		[[''], ['b'], 0.0],
		[[''], ['ref'], 0.0],
		[[''], ['reference'], 0.0],
		[['aa'], ['ab'], 8.3333],
		[['a', 'b'], ['a', 'c'], 8.3333],
		[['a'], ['a'], 16.6667],
		[['a b c'], ['a b c'], 50.0],
		[['a b c'], ['abc'], 50.0],
		[[' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .'], ['risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .'], 63.36173],
		[[' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. '], ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'], 64.1302698],
		[['Niemand hat die Absicht, eine Mauer zu errichten'], ['Niemand hat die Absicht, eine Mauer zu errichten'], 100.0],
	] as const) {
		it(`eps smoothing, beta 3: ${JSON.stringify(hyps).slice(0, 40)} = ${expected}`, () => near(corpusChrf([...hyps], [[...refs]], {beta: 3, epsSmoothing: true}), expected, eps));
	}
	for (const [hyps, refs, expected] of [
		[['a'], ['a'], 100.0],
		[[''], ['reference'], 0.0],
		[['a b c'], ['a b c'], 100.0],
		[['a b c'], ['abc'], 100.0],
		[[''], ['c'], 0.0],
		[['a', 'b'], ['a', 'c'], 50.0],
		[['aa'], ['ab'], 25.0],
	] as const) {
		it(`effective order, beta 3: ${JSON.stringify(hyps)} = ${expected}`, () => near(corpusChrf([...hyps], [[...refs]], {beta: 3}), expected, eps));
	}
	it('keeping whitespace', () => {
		near(corpusChrf(['Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.'], [['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.']], {beta: 3, removeWhitespace: false}), 67.3481606, eps);
		near(corpusChrf(['risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .'], [['risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .']], {beta: 3, removeWhitespace: false}), 65.2414427, eps);
	});
	for (const [hyp, ref, expected] of [
		['Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.', 'Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.', 39.14078509],
		['Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.', 'A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.', 31.22557079],
		['Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.', 'Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.', 57.15704367],
	] as const) {
		it(`sentence chrF (eps smoothing, beta 2) = ${expected}`, () => near(sentenceChrf(hyp, [ref], {epsSmoothing: true}), expected, eps));
	}
});

describe('ROUGE (rouge-score rouge_scorer_test.py, values from ROUGE-1.5.5)', () => {
	// testdata/target.txt and prediction.txt, lines 1 and 2.
	const targets = [
		"ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n",
		"KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n",
	];
	const predictions = [
		"rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n",
		"n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n",
	];
	const check = (score: {precision: number; recall: number; f: number}, recall: number, precision: number, f: number) => {
		near(score.recall, recall, 5e-6, 'recall');
		near(score.precision, precision, 5e-6, 'precision');
		near(score.f, f, 5e-6, 'f');
	};
	it('small cases', () => {
		const r1 = rouge('testing one two', 'testing', 'rouge1');
		assert.deepEqual([r1.precision, r1.recall, r1.f], [1, 1 / 3, 1 / 2]);
		const r2 = rouge('testing one two', 'testing one', 'rouge2');
		near(r2.f, 2 / 3, 1e-12);
		near(rouge('testing one two', 'testing one', 'rougeL').f, 4 / 5, 1e-12);
		near(rouge('testing one two', 'testing two', 'rougeL').f, 4 / 5, 1e-12);
		for (const type of ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'] as const) assert.deepEqual(rouge('testing one two', '', type), {precision: 0, recall: 0, f: 0});
	});
	it('ROUGE-1 against ROUGE-1.5.5', () => {
		check(rouge(targets[0]!, predictions[0]!, 'rouge1'), 0.40741, 0.6875, 0.51163);
		check(rouge(targets[1]!, predictions[1]!, 'rouge1'), 0.40476, 0.65385, 0.5);
	});
	it('ROUGE-1 with stemming', () => {
		check(rouge(targets[0]!, predictions[0]!, 'rouge1', {stem: true}), 0.40741, 0.6875, 0.51163);
		check(rouge(targets[1]!, predictions[1]!, 'rouge1', {stem: true}), 0.42857, 0.69231, 0.52941);
	});
	it('ROUGE-2, with and without stemming', () => {
		for (const stem of [false, true]) {
			check(rouge(targets[0]!, predictions[0]!, 'rouge2', {stem}), 0.30769, 0.53333, 0.39024);
			check(rouge(targets[1]!, predictions[1]!, 'rouge2', {stem}), 0.29268, 0.48, 0.36364);
		}
	});
	it('ROUGE-L', () => {
		check(rouge(targets[0]!, predictions[0]!, 'rougeL'), 0.40741, 0.6875, 0.51163);
		check(rouge(targets[1]!, predictions[1]!, 'rougeL'), 0.40476, 0.65385, 0.5);
	});
	it('ROUGE-Lsum with stemming (pyrouge_files/*_multi.0.txt)', () => {
		const target = "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\nKsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\nNhETebUbBk'er WOvoHMTjSRizKgH'vHiing Xu,hWxfs VkNE QhgKiLHE -HidivzoM.dO anhtion jbLQiSGDTCsuhREebUaKM dv J dVN tmbOT\nvMR HDm,xOAetion D,tion HJtodT.mHl UIv-p VjWH'BdyWjnfGU-OjT aEMdFICyLWfQMtion wEMfdOKing AwkeKbO 'DxqNOHBH qKtVvm OYJl mM\n";
		const prediction = "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\nn cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\nxfs VkJE QhgKiLHE -HidivzoM.dO anhing jbLQiSGDTCsuhREebUaKM dv J\nVjWH'BdyWjnfGU-OjTNaEMdFICyLWfQMing wEMfdOKijg AwkeKbO 'DxqNO\n";
		check(rouge(target, prediction, 'rougeLsum', {stem: true}), 0.36538, 0.66667, 0.47205);
	});
	it('ROUGE-Lsum small cases', () => {
		const s = rouge('w1 w2 w3 w4 w5', 'w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5', 'rougeLsum');
		near(s.recall, 0.8, 1e-12);
		near(s.precision, 0.4, 1e-12);
		near(s.f, 0.5333, 1e-3);
		assert.deepEqual(rouge('w1 w2 w3 w4 w5', '', 'rougeLsum'), {precision: 0, recall: 0, f: 0});
		assert.deepEqual(rouge('', 'w1', 'rougeLsum'), {precision: 0, recall: 0, f: 0});
		assert.deepEqual(rouge('w1 w2 w3 w4 w5', '/', 'rougeLsum'), {precision: 0, recall: 0, f: 0});
	});
	it('several references: the best F1 counts', () => {
		assert.equal(rougeMulti(['completely different', 'testing one two'], 'testing one two', 'rouge1').f, 1);
	});
});

describe('exact match and token F1 (SQuAD v1.1 evaluation)', () => {
	it('normalises case, punctuation, articles and spaces', () => {
		assert.equal(normalizeAnswer('  The  Cat, sat on a mat! '), 'cat sat on mat');
	});
	it('exact match and F1 over several references', () => {
		assert.equal(exactMatch('the Eiffel Tower', ['Eiffel tower.', 'tour Eiffel']), 1);
		assert.equal(exactMatch('Eiffel', ['Eiffel tower']), 0);
		near(tokenF1('Eiffel', ['Eiffel tower']), 2 / 3, 1e-12);
		near(tokenF1('the big red dog', ['a red dog', 'cat']), 0.8, 1e-12);
		assert.equal(tokenF1('nothing', ['something else']), 0);
	});
});
