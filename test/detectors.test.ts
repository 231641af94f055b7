/** Every detector with positive and negative examples. */
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {confidence} from '../source/analysis/detectors/confidence.js';
import {degeneration} from '../source/analysis/detectors/degeneration.js';
import {ending} from '../source/analysis/detectors/ending.js';
import {grammar} from '../source/analysis/detectors/grammar.js';
import {defaultDetectors} from '../source/analysis/detectors/index.js';
import {promptHandling} from '../source/analysis/detectors/promptHandling.js';
import {referenceChecks} from '../source/analysis/detectors/reference.js';
import type {Detector, DetectorInput, Finding} from '../source/analysis/findings.js';
import {SessionController} from '../source/session/controller.js';
import {defaultModel} from './helpers.js';

const EOS = 9999;

/** Tokens from text pieces; equal pieces get equal ids. `<eos>` is the end-of-sequence token. */
function input(prompt: string[], output: string[], extra: Partial<DetectorInput> & {probabilities?: number[]; entropies?: number[]} = {}): DetectorInput {
	const ids = new Map<string, number>();
	const id = (text: string) => (text === '<eos>' ? EOS : ids.get(text) ?? ids.set(text, ids.size).get(text)!);
	const tokens = [...prompt, ...output].map((text, i) => ({
		id: id(text),
		text: text === '<eos>' ? '' : text,
		generated: i >= prompt.length,
		probability: i >= prompt.length ? extra.probabilities?.[i - prompt.length] ?? 0.5 : undefined,
		entropy: i >= prompt.length ? extra.entropies?.[i - prompt.length] ?? 2 : undefined,
	}));
	return {tokens, promptLength: prompt.length, eosTokenId: EOS, stop: extra.stop, reference: extra.reference};
}

const split = (text: string) => text.match(/\s*\S+|\s+/g) ?? [];
const categories = (detector: Detector, i: DetectorInput) => detector(i).map(f => f.category);
const only = (detector: Detector, i: DetectorInput, category: string): Finding[] => detector(i).filter(f => f.category === category);

describe('degeneration', () => {
	const detect = degeneration();
	it('finds a repeated n-gram loop, how many times and from which token', () => {
		const out = split(' the God of Israel, and the God of Israel, and the God of Israel, and the God of Israel');
		const [loop] = only(detect, input(['Blessed'], out), 'repetition');
		assert.ok(loop);
		assert.equal(loop.start, 1);
		assert.match(loop.explanation, /repeated [34] times from token 1/);
	});
	it('finds a stuck token, and a run of symbols', () => {
		assert.deepEqual(categories(detect, input(['a'], [' no', ' no', ' no', ' no', ' no'])), ['stuck-token']);
		assert.deepEqual(categories(detect, input(['a'], [' end', '!', '?', '...', ';', ' go'])), ['symbol-run']);
	});
	it('leaves ordinary text and short repeats alone', () => {
		assert.deepEqual(detect(input(['In'], split(' the beginning God created the heaven and the earth.'))), []);
		assert.deepEqual(detect(input(['a'], [' no', ' no', ' no', ' yes'])), [], 'three in a row is below the stuck-token threshold');
		assert.deepEqual(detect(input(['a'], split(' and the king and the king said'))), [], 'two repeats is not a loop');
		assert.deepEqual(detect(input(['a'], [' he', ',', ' she', '.'])), []);
	});
	it('does not count the prompt', () => {
		assert.deepEqual(detect(input([' no', ' no', ' no', ' no', ' no'], [' yes'])), []);
	});
});

describe('confidence', () => {
	const detect = confidence();
	it('finds a span of low-probability tokens', () => {
		const [f] = detect(input(['The'], [' a', ' b', ' c', ' d'], {probabilities: [0.6, 0.01, 0.03, 0.7]}));
		assert.equal(f!.category, 'low-confidence');
		assert.deepEqual([f!.start, f!.end], [2, 4]);
		assert.match(f!.explanation, /lowest 0\.010/);
	});
	it('finds a span of high entropy', () => {
		assert.deepEqual(categories(detect, input(['The'], [' a', ' b', ' c'], {entropies: [6, 5.5, 1]})), ['high-entropy']);
	});
	it('ignores a single unlikely token and confident text', () => {
		assert.deepEqual(detect(input(['The'], [' a', ' b', ' c'], {probabilities: [0.6, 0.01, 0.7]})), []);
		assert.deepEqual(detect(input(['The'], [' a', ' b', ' c'], {probabilities: [0.6, 0.5, 0.7], entropies: [1, 2, 4.9]})), []);
	});
	it('uses configurable thresholds', () => {
		const strict = confidence({lowProbability: 0.8, highEntropy: 100, minSpan: 1});
		assert.equal(strict(input(['The'], [' a'], {probabilities: [0.6]})).length, 1);
	});
});

describe('ending', () => {
	const detect = ending();
	it('end-of-sequence right away', () => {
		assert.deepEqual(categories(detect, input(['Hi'], ['<eos>'], {stop: 'eos'})), ['immediate-eos']);
	});
	it('empty output', () => {
		assert.deepEqual(categories(detect, input(['Hi'], ['\n', ' ', '<eos>'], {stop: 'eos'})), ['empty-output']);
	});
	it('cut off by the token limit mid-sentence', () => {
		assert.deepEqual(categories(detect, input(['Hi'], split(' and the king said unto'), {stop: 'limit'})), ['truncated']);
		assert.deepEqual(categories(detect, input(['Hi'], split(' and the king said unto'), {stop: 'context'})), ['truncated']);
	});
	it('no finding for a finished sentence, an EOS after text, or while still generating', () => {
		assert.deepEqual(detect(input(['Hi'], split(' and the king said.'), {stop: 'limit'})), []);
		assert.deepEqual(detect(input(['Hi'], [...split(' and so it was'), '<eos>'], {stop: 'eos'})), []);
		assert.deepEqual(detect(input(['Hi'], split(' and the king said unto'))), []);
	});
});

describe('prompt handling', () => {
	const detect = promptHandling();
	const prompt = split('And the king said unto Moses, Go up to the mountain');
	it('finds an output that echoes the prompt', () => {
		const [f] = detect(input(prompt, split(' the king said unto Moses, Go up')));
		assert.equal(f!.category, 'prompt-echo');
		assert.match(f!.explanation, /7 of the output's 7 words/);
	});
	it('finds drift away from the prompt\'s content words', () => {
		const out = split(' and they went. The sheep and goats ate grass near rivers while shepherds sang songs about harvest grain, wine, oil, bread.');
		assert.ok(categories(detect, input(prompt, out)).includes('topic-drift'));
	});
	it('no finding when the output stays on topic and says something new', () => {
		const out = split(' and Moses went up the mountain, and the king waited for Moses below the mountain with the elders and the priests.');
		assert.deepEqual(detect(input(prompt, out)), []);
	});
});

describe('grammar (retext)', () => {
	const detect = grammar();
	it('repeated words and a/an errors', () => {
		const found = categories(detect, input(['He'], split(' said the the king saw a elephant.')));
		assert.deepEqual(found.sort(), ['a-an', 'repeated-word']);
	});
	it('a sentence that starts in lower case', () => {
		assert.deepEqual(categories(detect, input(['He went.'], split(' And he came. and he left.'))), ['sentence-case']);
	});
	it('unbalanced brackets and quotes', () => {
		assert.deepEqual(categories(detect, input(['He'], split(' said) nothing.'))), ['unbalanced']);
		assert.deepEqual(categories(detect, input(['He'], split(' said "come (here.'), {stop: 'limit'})).sort(), ['unbalanced', 'unbalanced']);
	});
	it('no finding for clean text, a lower-case continuation of the prompt, or a quote still open mid-generation', () => {
		assert.deepEqual(detect(input(['He'], split(' said (quietly) "come here."'))), []);
		assert.deepEqual(detect(input(['And the'], split(' king said an oath.'))), []);
		assert.deepEqual(detect(input(['He'], split(' said "come'))), []);
	});
	it('reports findings on the output tokens, not the prompt', () => {
		const [f] = detect(input(['He said the'], split(' the king.')));
		assert.equal(f!.category, 'repeated-word');
		assert.ok(f!.start >= 1, 'the span lies in the output');
	});
});

describe('reference checks', () => {
	const detect = referenceChecks();
	const reference = 'Moses went up to Mount Sinai with Aaron. The people did not follow him. He stayed forty days.';
	it('unsupported names and numbers', () => {
		const found = only(detect, input(['Then'], split(' Moses went up with Joshua and 70 elders.'), {reference}), 'unsupported');
		assert.deepEqual(found.map(f => f.explanation), ['name "Joshua" is not in the reference', 'number "70" is not in the reference']);
	});
	it('omissions, once generation stopped', () => {
		const [f] = only(detect, input(['Then'], split(' Moses went up.'), {reference, stop: 'eos'}), 'omission');
		assert.match(f!.explanation, /missing: .*sinai/i);
		assert.deepEqual(only(detect, input(['Then'], split(' Moses went up.'), {reference}), 'omission'), [], 'not while generating');
	});
	it('contradiction by negation', () => {
		const [f] = only(detect, input(['Then'], split(' The people did follow him.'), {reference}), 'contradiction');
		assert.match(f!.explanation, /affirms what is negated in the reference: "The people did not follow him\."/);
		const [g] = only(detect, input(['Then'], split(' Moses did not go up to Mount Sinai with Aaron.'), {reference}), 'contradiction');
		assert.match(g!.explanation, /negates the reference/);
	});
	it('nothing without a reference, or for a faithful output', () => {
		assert.deepEqual(detect(input(['Then'], split(' Joshua came.'))), []);
		assert.deepEqual(detect(input(['Then'], split(' Moses went up to Mount Sinai with Aaron and stayed forty days; the people did not follow him.'), {reference, stop: 'eos'})), []);
	});
});

describe('findings in a live session', () => {
	it('greedy decoding of the default model falls into a loop, and finding:repetition stops the continue there', async () => {
		const controller = new SessionController(await defaultModel(), 'Blessed are the', {temperature: 0, topK: 0, topP: 1, seed: 0, maxNewTokens: 60}, {detectors: defaultDetectors()});
		await controller.runPrompt();
		controller.addBreakpoint('finding:repetition');
		await controller.continueRun();
		const state = controller.getState();
		const loop = state.findings.find(f => f.category === 'repetition');
		assert.ok(loop, `a repetition finding; got ${state.findings.map(f => f.category).join(', ')}`);
		assert.match(state.message!, /breakpoint finding:repetition hit/);
		assert.ok(state.positions.length - state.promptLength < 60, 'stopped before the limit');
		assert.equal(loop.end, state.positions.length, 'the loop reaches the last token');
	});

	it('a continue that hits its limit mid-sentence is reported as truncated', async () => {
		const controller = new SessionController(await defaultModel(), 'And the king said unto', {temperature: 0, topK: 0, topP: 1, seed: 0, maxNewTokens: 3});
		await controller.runPrompt();
		await controller.continueRun();
		assert.ok(controller.getState().findings.some(f => f.category === 'truncated'));
		await controller.step();
		assert.ok(!controller.getState().findings.some(f => f.category === 'truncated'), 'stepping on clears it');
	});
});
