/** Each pane on its own, in the states the whole-screen tests do not reach. */
import assert from 'node:assert/strict';
import {before, describe, it} from 'node:test';
import chalk from 'chalk';
import {render} from 'ink-testing-library';
import type {ReactElement} from 'react';
import {SessionController} from '../source/session/controller.js';
import type {SessionState} from '../source/session/state.js';
import {AttentionGrid} from '../source/ui/components/AttentionGrid.js';
import {Findings} from '../source/ui/components/Findings.js';
import {Header} from '../source/ui/components/Header.js';
import {LogitLens} from '../source/ui/components/LogitLens.js';
import {NextToken} from '../source/ui/components/NextToken.js';
import {TokenStrip} from '../source/ui/components/TokenStrip.js';
import {parseBreakpoint} from '../source/session/breakpoints.js';
import {stripLayout, visibleToken} from '../source/ui/text.js';
import {createTheme} from '../source/ui/theme.js';
import {ThemeContext} from '../source/ui/themeContext.js';
import {defaultModel} from './helpers.js';

function frame(element: ReactElement): string {
	const instance = render(<ThemeContext.Provider value={createTheme(0)}>{element}</ThemeContext.Provider>);
	const out = instance.lastFrame() ?? '';
	instance.unmount();
	return out;
}

let state: SessionState;
let piece: (id: number) => string;

describe('panes', () => {
	before(async () => {
		chalk.level = 0;
		const model = await defaultModel();
		piece = id => model.tokenizer.piece(id);
		// A prompt with a newline, long enough to need scrolling and a clipped grid.
		const controller = new SessionController(model, 'And the king said unto them,\nGo ye up unto the house of the LORD, and the people went up unto the house of God.', {temperature: 0, topK: 0, topP: 1, seed: 0, maxNewTokens: 5});
		await controller.runPrompt();
		controller.dispatch({type: 'token-first'});
		state = controller.getState();
	});

	it('token strip: whitespace visible, newline as ⏎, a window that keeps the cursor in view', () => {
		const out = frame(<TokenStrip state={{...state, cursor: {...state.cursor, token: 0}}} width={40} lines={2} focused={false} />);
		assert.match(out, /^─ Tokens/);
		assert.match(out, /And ·the ·king/);
		const far = state.positions.length - 1;
		const end = frame(<TokenStrip state={{...state, cursor: {...state.cursor, token: far}}} width={40} lines={2} focused />);
		assert.ok(end.includes(visibleToken(state.positions[far]!.text)), 'the last token is shown when the cursor is there');
		assert.doesNotMatch(end, /And ·the ·king/, 'the start scrolled out of view');
		const newline = state.positions.findIndex(p => p.text.includes('\n'));
		const mid = frame(<TokenStrip state={{...state, cursor: {...state.cursor, token: newline}}} width={80} lines={2} focused />);
		assert.ok(mid.includes('⏎'), 'the newline is visible');
	});

	it('stripLayout keeps the cursor and fills at most the given lines', () => {
		const widths = Array.from({length: 200}, (_, i) => 1 + (i % 7));
		for (const cursor of [0, 57, 199]) {
			const lines = stripLayout(widths, cursor, 30, 2);
			assert.ok(lines.length <= 2);
			assert.ok(lines.flat().includes(cursor));
			for (const line of lines) assert.ok(line.reduce((s, i) => s + widths[i]! + 1, 0) <= 31);
		}
	});

	it('attention grid: says when it shows a window of a longer sequence', () => {
		const out = frame(<AttentionGrid state={state} width={40} height={10} focused={false} />);
		assert.match(out, new RegExp(`0-6×0-\\d+ of ${state.positions.length}`));
		assert.match(out, /▶\s+0 And/, 'the cursor row is marked');
	});

	it('logit lens: computing, unavailable, and the rows with the final prediction last', () => {
		assert.match(frame(<LogitLens state={{...state, lens: undefined}} width={40} height={6} piece={piece} focused={false} />), /computing…/);
		assert.match(frame(<LogitLens state={{...state, lens: {position: 0, rows: 'unavailable'}}} width={40} height={6} piece={piece} focused={false} />), /unavailable/);
		const rows = [0, 1, 2, 3, 4].map(layer => ({layer, top: [{id: 258, probability: 0.5 + layer / 10}]}));
		const out = frame(<LogitLens state={{...state, lens: {position: 0, rows}}} width={40} height={6} piece={piece} focused={false} />);
		const lines = out.split('\n');
		assert.match(lines[1]!, /^embed\s+·the\s+\.50/);
		assert.match(lines[5]!, /^L3=out\s+·the\s+\.90/);
	});

	it('next token: candidates with bars, the entropy, and the token that actually came next marked', () => {
		const out = frame(<NextToken state={state} width={40} height={6} piece={piece} focused />);
		const next = state.positions[0]!.next!;
		assert.match(out, new RegExp(`H=${next.entropy.toFixed(2)} nats`));
		assert.ok(out.includes(next.top[0]!.probability.toFixed(3)));
		assert.equal(out.split('\n').length, 6);
		assert.match(out, /█/);
	});

	it('findings: grouped counts in the title, the selected one highlighted', () => {
		const findings = [
			{group: 'degeneration' as const, category: 'repetition', severity: 'warning' as const, start: 3, end: 9, explanation: '"the house of" repeated 2 times'},
			{group: 'confidence' as const, category: 'confidence', severity: 'info' as const, start: 4, end: 5, explanation: 'low probability 0.02'},
			{group: 'degeneration' as const, category: 'repetition', severity: 'warning' as const, start: 12, end: 15, explanation: 'again'},
		];
		const out = frame(<Findings state={{...state, findings, selectedFinding: 1}} width={60} height={4} focused />);
		assert.match(out, /Findings \(3\)/);
		assert.match(out, /repetition 2, confidence 1/);
		assert.match(out, /confidence \[4-4\] low probability 0\.02/);
		assert.match(frame(<Findings state={state} width={60} height={3} focused={false} />), /no findings/);
	});

	it('header: model shape, provider, tokens, step and breakpoints', () => {
		const out = frame(<Header state={{...state, breakpoints: [parseBreakpoint('p < 0.2'), parseBreakpoint('/LORD/')]}} width={100} />);
		assert.match(out, new RegExp(`lmscope default 4L×4H×128 │ cpu │ ${state.positions.length} tok │ step 0 │ break: p < 0.2, /LORD/ │ idle`));
	});
});
