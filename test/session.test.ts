/** The session controller, driven by commands with no terminal, checked against the golden files. */
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import type {Detector} from '../source/analysis/findings.js';
import {parseBreakpoint, firedBreakpoint, BreakpointSyntaxError} from '../source/session/breakpoints.js';
import {SessionController} from '../source/session/controller.js';
import {attentionGrid, cursorAttentionRow, residualNormsByLayer, topNeurons, windowAround} from '../source/session/selectors.js';
import type {GenerationSettings, SessionState} from '../source/session/state.js';
import {TOLERANCE, defaultModel, goldens, maxAbsDiff} from './helpers.js';

const GREEDY_SETTINGS: GenerationSettings = {temperature: 0, topK: 0, topP: 1, seed: 0, maxNewTokens: 40};

async function session(prompt: string, options: {detectors?: Detector[]; settings?: Partial<GenerationSettings>} = {}): Promise<SessionController> {
	const controller = new SessionController(await defaultModel(), prompt, {...GREEDY_SETTINGS, ...options.settings}, {detectors: options.detectors});
	await controller.runPrompt();
	return controller;
}

/** Wait until the lens for the cursor token has arrived. */
async function lensReady(controller: SessionController): Promise<SessionState> {
	for (let i = 0; i < 200; i++) {
		const state = controller.getState();
		if (state.lens?.position === state.cursor.token) return state;
		await new Promise(resolve => setTimeout(resolve, 5));
	}
	throw new Error('lens never arrived');
}

describe('session controller', () => {
	const golden = goldens()[0]!;

	it('runs the prompt and holds every position\'s internals (equal to PyTorch)', async () => {
		const controller = await session(golden.prompt);
		const state = controller.getState();
		assert.equal(state.activity, 'idle');
		assert.equal(state.promptLength, golden.ids.length);
		assert.deepEqual(state.positions.map(p => p.id), golden.ids);
		assert.equal(state.cursor.token, golden.ids.length - 1, 'the cursor starts on the last prompt token');
		for (const position of state.positions) {
			for (let l = 0; l < 4; l++) {
				for (let h = 0; h < 4; h++) {
					const row = position.attention[l]!.subarray(h * (position.position + 1), (h + 1) * (position.position + 1));
					assert.ok(maxAbsDiff(row, golden.attention[l]![h]![position.position]!.slice(0, position.position + 1)) <= TOLERANCE);
				}
			}
			assert.ok(maxAbsDiff(residualNormsByLayer(state, position.position), golden.residual_norm.map(r => r[position.position]!)) <= TOLERANCE);
		}
		// The probability the model gave each token is the softmax of the previous row at that id:
		// relative to the top candidate it is exp(logit - top logit), from the PyTorch logits.
		assert.equal(state.positions[0]!.probability, undefined);
		let checked = 0;
		for (const position of state.positions.slice(1)) {
			const previous = golden.logits_top5[position.position - 1]!;
			const rank = previous.ids.indexOf(position.id);
			if (rank < 0) continue;
			const top = state.positions[position.position - 1]!.next!.top[0]!;
			assert.ok(Math.abs(position.probability! / top.probability - Math.exp(previous.values[rank]! - previous.values[0]!)) <= 1e-4);
			checked++;
		}
		assert.ok(checked > 0, 'some prompt tokens are among the top-5 predictions');
		// The next-token candidates are PyTorch's top-5, in order.
		state.positions.forEach(position => assert.deepEqual(position.next!.top.slice(0, 5).map(c => c.id), golden.logits_top5[position.position]!.ids));
	});

	it('the top MLP neurons of the cursor token are PyTorch\'s', async () => {
		const controller = await session(golden.prompt);
		for (let l = 0; l < 4; l++) {
			controller.dispatch({type: 'layer-first'});
			controller.dispatch({type: 'move-layer', delta: l});
			const neurons = topNeurons(controller.getState(), 5);
			assert.deepEqual(neurons.map(n => n.index), golden.mlp[l]!.last_top5.ids);
			assert.ok(maxAbsDiff(neurons.map(n => n.value), golden.mlp[l]!.last_top5.values) <= TOLERANCE);
		}
	});

	it('moves the cursor through tokens, layers and heads, clamped to the model', async () => {
		const controller = await session(golden.prompt);
		controller.dispatch({type: 'token-first'});
		controller.dispatch({type: 'move-token', delta: -3});
		assert.equal(controller.getState().cursor.token, 0);
		controller.dispatch({type: 'move-token', delta: 4});
		assert.equal(controller.getState().cursor.token, 4);
		controller.dispatch({type: 'token-last'});
		assert.equal(controller.getState().cursor.token, golden.ids.length - 1);
		controller.dispatch({type: 'move-layer', delta: 10});
		assert.equal(controller.getState().cursor.layer, 3);
		controller.dispatch({type: 'layer-first'});
		controller.dispatch({type: 'move-head', delta: 2});
		assert.equal(controller.getState().cursor.head, 2);
		controller.dispatch({type: 'toggle-head-average'});
		assert.equal(controller.getState().headMode, 'average');
		controller.dispatch({type: 'move-head', delta: 1});
		assert.equal(controller.getState().headMode, 'single', 'choosing a head leaves average mode');
		controller.dispatch({type: 'focus', delta: -1});
		assert.equal(controller.getState().focus, 'findings');
	});

	it('the attention grid and the cursor row show the selected layer and head (or the head average)', async () => {
		const controller = await session(golden.prompt);
		controller.dispatch({type: 'move-layer', delta: 2});
		controller.dispatch({type: 'move-head', delta: 1});
		const state = controller.getState();
		const grid = attentionGrid(state, 100, 100);
		const q = golden.ids.length - 1;
		assert.ok(maxAbsDiff(grid.values[q]!.map(v => v!), golden.attention[2]![1]![q]!) <= TOLERANCE);
		assert.equal(grid.values[0]![1], undefined, 'masked keys (k > q) are undefined');
		controller.dispatch({type: 'toggle-head-average'});
		const average = cursorAttentionRow(controller.getState());
		const expected = golden.attention[2]![0]![q]!.map((_, k) => [0, 1, 2, 3].reduce((s, h) => s + golden.attention[2]![h]![q]![k]!, 0) / 4);
		assert.ok(maxAbsDiff(average, expected) <= TOLERANCE);
		const small = attentionGrid(controller.getState(), 4, 5);
		assert.deepEqual([small.queries.end - small.queries.start, small.keys.end - small.keys.start, small.clipped], [4, 5, true]);
		assert.ok(small.queries.start <= q && q < small.queries.end, 'the window keeps the cursor in view');
	});

	it('windowAround keeps the cursor inside and stays within bounds', () => {
		for (const [cursor, count, size] of [[0, 100, 10], [99, 100, 10], [50, 100, 10], [3, 5, 10]] as const) {
			const w = windowAround(cursor, count, size);
			assert.ok(w.start <= cursor && cursor < w.end && w.start >= 0 && w.end <= count && w.end - w.start === Math.min(size, count));
		}
	});

	it('computes the logit lens at the cursor (equal to PyTorch)', async () => {
		const controller = await session(golden.prompt);
		const state = await lensReady(controller);
		const last = golden.ids.length - 1;
		assert.ok(state.lens && state.lens.rows !== 'unavailable');
		state.lens.rows.forEach((row, l) => {
			assert.ok(maxAbsDiff(row.top.map(c => c.probability), golden.logit_lens_top5[l]![last]!.values) <= TOLERANCE);
		});
		controller.dispatch({type: 'token-first'});
		const first = await lensReady(controller);
		assert.equal(first.lens!.position, 0);
	});

	it('steps three tokens (greedy, equal to PyTorch) and undoes one', async () => {
		const controller = await session(golden.prompt);
		for (let i = 0; i < 3; i++) await controller.step();
		let state = controller.getState();
		assert.deepEqual(state.positions.slice(golden.ids.length).map(p => p.id), golden.greedy_ids.slice(0, 3));
		assert.equal(state.cursor.token, golden.ids.length + 2, 'the cursor follows generation');
		const third = state.positions.at(-1)!;
		assert.ok(third.generated && third.probability! > 0);
		await controller.undo();
		state = controller.getState();
		assert.equal(state.positions.length, golden.ids.length + 2);
		// After undo the cache is cut back: stepping again reproduces the same token and internals.
		await controller.step();
		const again = controller.getState().positions.at(-1)!;
		assert.equal(again.id, third.id);
		third.attention.forEach((a, l) => assert.ok(maxAbsDiff(a, again.attention[l]!) <= TOLERANCE));
	});

	it('undo with nothing generated says so', async () => {
		const controller = await session(golden.prompt);
		await controller.undo();
		assert.match(controller.getState().message!, /nothing to undo/);
		assert.equal(controller.getState().positions.length, golden.ids.length);
	});

	it('continues until a probability breakpoint fires, at the first token below it', async () => {
		// Find, from a plain greedy run, the probabilities of the next 20 tokens.
		const probe = await session(golden.prompt);
		for (let i = 0; i < 20; i++) await probe.step();
		const probs = probe.getState().positions.slice(golden.ids.length).map(p => p.probability!);
		const threshold = [...probs].sort((a, b) => a - b)[3]! + 1e-9; // the 4th lowest: fires somewhere in the middle
		const expectedStop = probs.findIndex(p => p < threshold);
		const controller = await session(golden.prompt);
		controller.addBreakpoint(`p < ${threshold}`);
		assert.equal(controller.getState().breakpoints.length, 1);
		await controller.continueRun();
		const state = controller.getState();
		assert.equal(state.positions.length - golden.ids.length, expectedStop + 1, 'stops right after the token that fired');
		assert.match(state.message!, /^breakpoint p < .* hit at token/);
	});

	it('continue stops at the continue limit, and stop() interrupts at the next token', async () => {
		const limited = await session(golden.prompt, {settings: {maxNewTokens: 5}});
		await limited.continueRun();
		assert.equal(limited.getState().positions.length, golden.ids.length + 5);

		const controller = await session(golden.prompt, {settings: {maxNewTokens: 100}});
		let steps = 0;
		const unsubscribe = controller.subscribe(() => {
			const state = controller.getState();
			if (state.activity === 'continuing' && state.positions.length > golden.ids.length + steps) {
				steps = state.positions.length - golden.ids.length;
				if (steps === 2) controller.stop();
			}
		});
		await controller.continueRun();
		unsubscribe();
		const generated = controller.getState().positions.length - golden.ids.length;
		assert.ok(generated >= 2 && generated <= 3, `stopped after ${generated} tokens`);
		assert.match(controller.getState().message!, /stopped after/);
		assert.equal(controller.getState().activity, 'idle');
	});

	it('breaks on a finding from the findings pipeline', async () => {
		// A detector that flags a generated comma (the findings pane's detectors plug in the same way).
		const commas: Detector = ({tokens, promptLength}) =>
			tokens.flatMap((t, i) => (i >= promptLength && t.text === ',' ? [{group: 'grammar' as const, category: 'comma', severity: 'info' as const, start: i, end: i + 1, explanation: 'a comma'}] : []));
		const controller = await session(golden.prompt, {detectors: [commas]});
		controller.addBreakpoint('finding:comma');
		await controller.continueRun();
		const state = controller.getState();
		assert.equal(state.positions.at(-1)!.text, ',');
		assert.equal(state.findings.length, 1);
		assert.match(state.message!, /breakpoint finding:comma hit/);
		controller.dispatch({type: 'token-first'});
		controller.dispatch({type: 'move-finding', delta: 0});
		assert.equal(controller.getState().cursor.token, state.findings[0]!.start, 'selecting a finding moves the cursor to it');
	});

	it('editing the prompt re-runs it; a bad prompt leaves the session as it was', async () => {
		const controller = await session(golden.prompt);
		await controller.runPrompt('And the king said');
		assert.equal(controller.getState().prompt, 'And the king said');
		const before = controller.getState().positions;
		await controller.runPrompt('');
		assert.match(controller.getState().message!, /empty/);
		assert.equal(controller.getState().positions, before);
	});
});

describe('breakpoint syntax', () => {
	it('parses every kind', () => {
		assert.deepEqual(parseBreakpoint('p < 0.2'), {kind: 'probability', below: 0.2, source: 'p < 0.2'});
		assert.deepEqual(parseBreakpoint('top1<.3'), {kind: 'top1', below: 0.3, source: 'top1<.3'});
		assert.deepEqual(parseBreakpoint('entropy > 3'), {kind: 'entropy', above: 3, source: 'entropy > 3'});
		assert.equal(parseBreakpoint('/Egypt/i').kind, 'match');
		assert.deepEqual(parseBreakpoint('finding:Repetition'), {kind: 'finding', category: 'repetition', source: 'finding:Repetition'});
		assert.deepEqual(parseBreakpoint('finding'), {kind: 'finding', category: undefined, source: 'finding'});
	});
	it('rejects what it does not understand, with a hint', () => {
		assert.throws(() => parseBreakpoint('p < 2'), BreakpointSyntaxError);
		assert.throws(() => parseBreakpoint('/(/'), /bad regular expression/);
		assert.throws(() => parseBreakpoint('whenever'), /try p < 0.2/);
	});
	it('fires on the right facts', () => {
		const facts = {text: ' Egypt', probability: 0.1, top1: 0.5, entropy: 2, newFindings: []};
		assert.equal(firedBreakpoint([parseBreakpoint('p < 0.2')], facts)?.kind, 'probability');
		assert.equal(firedBreakpoint([parseBreakpoint('p < 0.05')], facts), undefined);
		assert.equal(firedBreakpoint([parseBreakpoint('top1 < 0.6')], facts)?.kind, 'top1');
		assert.equal(firedBreakpoint([parseBreakpoint('entropy > 1.5')], facts)?.kind, 'entropy');
		assert.equal(firedBreakpoint([parseBreakpoint('/egypt/i')], facts)?.kind, 'match');
		assert.equal(firedBreakpoint([parseBreakpoint('/egypt/')], facts), undefined);
		assert.equal(firedBreakpoint([parseBreakpoint('finding')], facts), undefined);
	});
});
