/**
 * The inspector's panes and keyboard flows, rendered with ink-testing-library (no colour, so the
 * heatmap is shade glyphs) and checked against the golden PyTorch values.
 */
import assert from 'node:assert/strict';
import {after, before, describe, it} from 'node:test';
import chalk from 'chalk';
import {render} from 'ink-testing-library';
import {SessionController} from '../source/session/controller.js';
import {residualNormsByLayer} from '../source/session/selectors.js';
import type {GenerationSettings} from '../source/session/state.js';
import {App} from '../source/ui/App.js';
import {KEYMAP} from '../source/ui/keymap.js';
import {sparkline, visibleToken} from '../source/ui/text.js';
import {createTheme, detectColorLevel} from '../source/ui/theme.js';
import {ThemeContext} from '../source/ui/themeContext.js';
import path from 'node:path';
import {readRatings} from '../source/ratings/ratingStore.js';
import {defaultModel, goldens, tempDir} from './helpers.js';

const SETTINGS: GenerationSettings = {temperature: 0, topK: 0, topP: 1, seed: 0, maxNewTokens: 40};
const golden = goldens()[2]!;
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

interface Harness {
	controller: SessionController;
	frame: () => string;
	press: (keys: string) => Promise<void>;
	rerender: (width: number, height: number) => void;
	unmount: () => void;
	quits: number;
}

async function open(width = 80, height = 24, options: {ratingsPath?: string; rater?: string} = {}): Promise<Harness> {
	const controller = new SessionController(await defaultModel(), golden.prompt, SETTINGS, {ratingsPath: options.ratingsPath ?? path.join(tempDir('ui'), 'ratings.jsonl'), rater: options.rater});
	await controller.runPrompt();
	const harness = {quits: 0} as Harness;
	const tree = (w: number, h: number) => (
		<ThemeContext.Provider value={createTheme(0)}>
			<App controller={controller} width={w} height={h} onQuit={() => harness.quits++} />
		</ThemeContext.Provider>
	);
	const instance = render(tree(width, height));
	Object.assign(harness, {
		controller,
		frame: () => instance.lastFrame() ?? '',
		press: async (keys: string) => {
			instance.stdin.write(keys);
			await sleep(30);
			await controller.whenIdle();
			await lensSettled(controller);
			await sleep(20);
		},
		rerender: (w: number, h: number) => instance.rerender(tree(w, h)),
		unmount: () => instance.unmount(),
	});
	await lensSettled(controller);
	await sleep(30);
	return harness;
}

async function lensSettled(controller: SessionController): Promise<void> {
	for (let i = 0; i < 100 && controller.getState().lens?.position !== controller.getState().cursor.token; i++) await sleep(5);
}

/** The line of the frame that starts the attention grid row for query q. */
function gridRow(frame: string, q: number): string {
	return frame.split('\n').find(line => new RegExp(`^[▶ ]\\s*${q} `).test(line))!;
}

describe('inspector UI', () => {
	let previousLevel: typeof chalk.level;
	before(() => {
		previousLevel = chalk.level;
		chalk.level = 0;
	});
	after(() => {
		chalk.level = previousLevel;
	});

	it('shows the header, tokens, attention grid, lens, next-token, activations, findings and footer at 80x24', async () => {
		const ui = await open();
		const frame = ui.frame();
		const lines = frame.trimEnd().split('\n');
		assert.ok(lines.length <= 24, `fits 24 rows (${lines.length})`);
		assert.ok(lines.every(l => [...l].length <= 80), 'fits 80 columns');
		assert.match(lines[0]!, new RegExp(`lmscope default 4L×4H×128 │ cpu │ ${golden.ids.length} tok │ step 0`));
		assert.match(frame, /The ·do c to r ·said ·that ·the ·king ·of ·Egypt/);
		assert.match(frame, /Attention L0 head 0/);
		assert.match(frame, new RegExp(`Logit lens · token ${golden.ids.length - 1}`));
		assert.match(frame, /Next token · H=/);
		assert.match(frame, new RegExp(`Activations · token ${golden.ids.length - 1} · layer 0`));
		assert.match(frame, /Findings \(0\)/);
		assert.match(lines.at(-1)!, /←→ token ↑↓ layer \[\] head/);
		ui.unmount();
	});

	it('the grid shows the selected layer and head, checked cell by cell against PyTorch', async () => {
		const ui = await open();
		await ui.press('jj]'); // layer 2, head 1
		const frame = ui.frame();
		assert.match(frame, /Attention L2 head 1/);
		const theme = createTheme(0);
		const q = golden.ids.length - 1;
		const row = gridRow(frame, q);
		const expected = golden.attention[2]![1]![q]!.map(v => theme.heat(v).text).join('');
		assert.ok(row.includes(expected), `row ${q}: ${row} should contain ${expected}`);
		await ui.press('a');
		assert.match(ui.frame(), /Attention L2 heads avg/);
		ui.unmount();
	});

	it('moving through tokens and layers changes the lens and sparklines to the right values', async () => {
		const ui = await open();
		await ui.press('g'); // first token
		await ui.press('lll'); // token 3
		const frame = ui.frame();
		assert.match(frame, /Logit lens · token 3/);
		const lensTop = golden.logit_lens_top5[2]![3]!; // row for block 1 (index 2)
		const state = ui.controller.getState();
		const piece = (id: number) => ui.controller.model.tokenizer.piece(id);
		const lensLine = frame.split('\n').find(l => l.includes('L1 '))!;
		assert.ok(lensLine.includes(visibleToken(piece(lensTop.ids[0]!)).slice(0, 7)), lensLine);
		assert.ok(lensLine.includes(lensTop.values[0]!.toFixed(2).replace(/^0/, '')), lensLine);
		const norms = golden.residual_norm.map(layer => layer[3]!);
		assert.ok(frame.includes(sparkline(norms)), 'residual sparkline across layers at token 3');
		assert.deepEqual(residualNormsByLayer(state).map(n => n.toFixed(3)), norms.map(n => n.toFixed(3)));
		await ui.press('G'); // last token
		assert.match(ui.frame(), new RegExp(`Logit lens · token ${golden.ids.length - 1}`));
		ui.unmount();
	});

	it('steps three tokens', async () => {
		const ui = await open();
		await ui.press('nnn');
		const state = ui.controller.getState();
		assert.deepEqual(state.positions.slice(golden.ids.length).map(p => p.id), golden.greedy_ids.slice(0, 3));
		assert.match(ui.frame().split('\n')[0]!, new RegExp(`${golden.ids.length + 3} tok │ step 3`));
		await ui.press('u');
		assert.match(ui.frame().split('\n')[0]!, new RegExp(`${golden.ids.length + 2} tok │ step 2`));
		ui.unmount();
	});

	it('sets a probability breakpoint and continues until it fires', async () => {
		const ui = await open();
		// Expected stop: the first of the greedy continuation's tokens below the threshold.
		const probe = new SessionController(await defaultModel(), golden.prompt, SETTINGS);
		await probe.runPrompt();
		for (let i = 0; i < 15; i++) await probe.step();
		const probs = probe.getState().positions.slice(golden.ids.length).map(p => p.probability!);
		const threshold = Number(([...probs].sort((a, b) => a - b)[2]! + 0.0005).toFixed(4));
		const stopAt = probs.findIndex(p => p < threshold);
		await ui.press('b');
		assert.match(ui.frame(), /Add breakpoint/);
		await ui.press(`p < ${threshold}`);
		await ui.press('\r');
		assert.match(ui.frame().split('\n')[0]!, new RegExp(`break: p < ${threshold}`));
		await ui.press('c');
		const state = ui.controller.getState();
		assert.equal(state.positions.length - golden.ids.length, stopAt + 1);
		assert.match(ui.frame(), /breakpoint p < [\d.]+ hit at token/);
		ui.unmount();
	});

	it('the help overlay lists every key of the keymap, and Esc closes it', async () => {
		const ui = await open(120, 40);
		await ui.press('?');
		const frame = ui.frame();
		for (const binding of KEYMAP) assert.ok(frame.includes(binding.description), `help lacks "${binding.description}"`);
		await ui.press('\u001B');
		assert.doesNotMatch(ui.frame(), /▶ Help/);
		ui.unmount();
	});

	it('toggles the exact numbers of the cursor row', async () => {
		const ui = await open();
		await ui.press('v');
		const q = golden.ids.length - 1;
		const value = golden.attention[0]![0]![q]![0]!.toFixed(3).replace(/^0/, '');
		assert.ok(ui.frame().includes(`0:${value}`), `row values show key 0 = ${value}`);
		ui.unmount();
	});

	it('says the terminal is too small below 80x24 and recovers when enlarged', async () => {
		const ui = await open(70, 20);
		assert.equal(ui.frame(), 'terminal too small (70 x 20, need 80 x 24)');
		ui.rerender(80, 24);
		await sleep(20);
		assert.match(ui.frame(), /Attention L0/);
		ui.unmount();
	});

	it('keys that arrive together (a burst over SSH) are each handled, Tab included', async () => {
		const ui = await open();
		await ui.press('\t\t\t\t\t');
		assert.equal(ui.controller.getState().focus, 'findings');
		assert.match(ui.frame(), /▶ Findings/);
		await ui.press('jjj');
		assert.equal(ui.controller.getState().cursor.layer, 0, 'in the findings pane, j moves the finding selection, not the layer');
		ui.unmount();
	});

	it('rates the output with r: three axes, a note, saved durably, shown when the prompt is opened again', async () => {
		const ratingsPath = path.join(tempDir('rate'), 'ratings.jsonl');
		const ui = await open(80, 24, {ratingsPath, rater: 'ann'});
		await ui.press('r');
		assert.match(ui.frame(), /nothing to rate yet/, 'no output yet: nothing to rate');
		assert.doesNotMatch(ui.frame(), /Rate this output/);
		await ui.press('nn');
		await ui.press('r');
		assert.match(ui.frame(), /Rate this output · rater ann/);
		await ui.press('4');
		await ui.press('\r');
		assert.match(ui.frame(), /rate grammar, logic first/);
		await ui.press('2');
		await ui.press('5');
		await ui.press('loops a bit');
		await ui.press('\r');
		assert.match(ui.frame(), /rating saved: fluency 4, grammar 2, logic 5/);
		const {ratings} = readRatings(ratingsPath);
		assert.equal(ratings.length, 1);
		assert.deepEqual([ratings[0]!.rater, ratings[0]!.fluency, ratings[0]!.grammar, ratings[0]!.logic, ratings[0]!.note], ['ann', 4, 2, 5, 'loops a bit']);
		assert.equal(ratings[0]!.prompt, golden.prompt);
		assert.equal(ratings[0]!.output, golden.greedy_ids.slice(0, 2).map(id => ui.controller.model.tokenizer.piece(id)).join(''));
		ui.unmount();
		const again = await open(80, 24, {ratingsPath, rater: 'bob'});
		assert.match(again.frame(), /1 earlier rating of this prompt/);
		await again.press('r');
		assert.match(again.frame(), /ann: fluency 4 grammar 2 logic 5 · loops a bit/);
		again.unmount();
	});

	it('q and Ctrl-C quit', async () => {
		const ui = await open();
		await ui.press('q');
		await ui.press('\u0003');
		assert.equal(ui.quits, 2);
		ui.unmount();
	});
});

describe('colour levels', () => {
	it('follow NO_COLOR, FORCE_COLOR, COLORTERM and TERM', () => {
		assert.equal(detectColorLevel({NO_COLOR: '1', COLORTERM: 'truecolor'}, true), 0);
		assert.equal(detectColorLevel({FORCE_COLOR: '3'}, false), 3);
		assert.equal(detectColorLevel({FORCE_COLOR: '0', TERM: 'xterm-256color'}, true), 0);
		assert.equal(detectColorLevel({TERM: 'xterm-256color'}, false), 0, 'not a TTY');
		assert.equal(detectColorLevel({COLORTERM: 'truecolor', TERM: 'xterm'}, true), 3);
		assert.equal(detectColorLevel({TERM: 'tmux-256color'}, true), 2);
		assert.equal(detectColorLevel({TERM: 'screen'}, true), 1);
		assert.equal(detectColorLevel({TERM: 'dumb'}, true), 0);
	});
	it('without colour the heatmap uses shade glyphs and the cursor inverse video', () => {
		const none = createTheme(0);
		assert.deepEqual([0, 0.1, 0.3, 0.6, 0.95].map(v => none.heat(v).text), ['··', '░░', '▒▒', '▓▓', '██']);
		assert.deepEqual(none.heat(0.5).style, {});
		assert.deepEqual(none.cursor, {inverse: true});
		assert.match(createTheme(3).heat(0.5).style.color!, /^#[0-9a-f]{6}$/);
		assert.match(createTheme(2).heat(0.5).style.color!, /^ansi256\(\d+\)$/);
		assert.equal(createTheme(1).probability(0.05).color, 'red');
	});
});
