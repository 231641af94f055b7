/**
 * The inspector's screen: lays the panes out for the terminal size and turns key presses into
 * session commands through the keymap. Renders state; computes nothing.
 */
import {Box, Text, useInput, useStdin, type Key} from 'ink';
import {useSyncExternalStore} from 'react';
import type {SessionController} from '../session/controller.js';
import {generatedCount, type SessionState} from '../session/state.js';
import {Activations} from './components/Activations.js';
import {AttentionGrid} from './components/AttentionGrid.js';
import {Findings} from './components/Findings.js';
import {Footer} from './components/Footer.js';
import {Header} from './components/Header.js';
import {HelpOverlay} from './components/HelpOverlay.js';
import {LogitLens} from './components/LogitLens.js';
import {NextToken} from './components/NextToken.js';
import {RatingForm} from './components/RatingForm.js';
import {TextPrompt} from './components/TextPrompt.js';
import {TokenStrip} from './components/TokenStrip.js';
import {actionFor, type Action} from './keymap.js';
import {fit} from './text.js';
import {useTheme} from './themeContext.js';

export const MIN_WIDTH = 80;
export const MIN_HEIGHT = 24;

export interface AppProps {
	controller: SessionController;
	width: number;
	height: number;
	onQuit: () => void;
}

export function App({controller, width, height, onQuit}: AppProps) {
	const state = useSyncExternalStore(controller.subscribe, controller.getState);
	const {isRawModeSupported} = useStdin();
	useInput((input, key) => handleKeys(controller, controller.getState(), input, key, onQuit), {isActive: isRawModeSupported === true});
	if (width < MIN_WIDTH || height < MIN_HEIGHT) {
		return <Text>{`terminal too small (${width} x ${height}, need ${MIN_WIDTH} x ${MIN_HEIGHT})`}</Text>;
	}
	// One row is left free: Ink ends each frame with a newline, and a frame as tall as the terminal
	// would scroll (and switch Ink to clear-the-terminal redraws, which flicker and, after a resize,
	// leave frames behind on the shell's screen in tmux).
	return <Screen controller={controller} state={state} width={width} height={height - 1} />;
}

function Screen({controller, state, width, height}: {controller: SessionController; state: SessionState; width: number; height: number}) {
	const piece = (id: number) => controller.model.tokenizer.piece(id);
	const stripLines = height >= 32 ? 3 : 2;
	const main = height - 1 - (1 + stripLines) - 2;
	const left = Math.floor(width * 0.55);
	const right = width - left - 1;
	const findingsHeight = Math.max(3, Math.min(8, Math.floor(main / 5)));
	const activationsHeight = 5;
	const lensHeight = Math.max(3, Math.min(state.model.layers + 2, main - activationsHeight - 4));
	const nextHeight = main - activationsHeight - lensHeight;
	const focus = state.focus;
	return (
		<Box flexDirection="column" width={width} height={height}>
			<Header state={state} width={width} />
			<TokenStrip state={state} width={width} lines={stripLines} focused={focus === 'tokens'} />
			{state.overlay ? (
				<Box height={main}>
					<Overlay controller={controller} state={state} width={width} height={main} />
				</Box>
			) : (
				<Box height={main}>
					<Box flexDirection="column" width={left}>
						<AttentionGrid state={state} width={left} height={main - findingsHeight} focused={focus === 'attention'} />
						<Findings state={state} width={left} height={findingsHeight} focused={focus === 'findings'} />
					</Box>
					<Box width={1} />
					<Box flexDirection="column" width={right}>
						<LogitLens state={state} width={right} height={lensHeight} piece={piece} focused={focus === 'lens'} />
						<NextToken state={state} width={right} height={nextHeight} piece={piece} focused={focus === 'next'} />
						<Activations state={state} width={right} height={activationsHeight} focused={focus === 'activations'} />
					</Box>
				</Box>
			)}
			<Status state={state} width={width} />
			<Footer width={width} />
		</Box>
	);
}

function Status({state, width}: {state: SessionState; width: number}) {
	const theme = useTheme();
	const busy = state.activity !== 'idle' ? `[${state.activity}] ` : '';
	return <Text {...(state.message?.startsWith('error') ? theme.warning : theme.accent)}>{fit(busy + (state.message ?? ''), width)}</Text>;
}

function Overlay({controller, state, width, height}: {controller: SessionController; state: SessionState; width: number; height: number}) {
	switch (state.overlay?.kind) {
		case 'help':
			return <HelpOverlay width={width} height={height} />;
		case 'prompt':
			return (
				<TextPrompt
					title="Edit prompt"
					initial={state.prompt}
					width={width}
					hints={['Enter runs it (generated tokens are dropped) · Esc cancels']}
					onSubmit={value => {
						controller.dispatch({type: 'close-overlay'});
						void controller.runPrompt(value);
					}}
				/>
			);
		case 'breakpoint':
			return (
				<TextPrompt
					title="Add breakpoint"
					initial=""
					width={width}
					hints={[
						'p < 0.2        the chosen token\'s probability is below 0.2',
						'top1 < 0.3     the most likely candidate is below 0.3',
						'entropy > 3    the next-token entropy (nats) is above 3',
						'/regex/i       the generated token matches',
						'finding[:CAT]  a finding (of a category) appears',
						`active: ${state.breakpoints.map(b => b.source).join(', ') || 'none'} · B clears all · Esc cancels`,
					]}
					onSubmit={value => {
						controller.dispatch({type: 'close-overlay'});
						if (value.trim()) controller.addBreakpoint(value);
					}}
				/>
			);
		case 'rating':
			return (
				<RatingForm
					rater={controller.rater}
					earlier={state.earlierRatings}
					width={width}
					height={height}
					onSubmit={values => {
						controller.dispatch({type: 'close-overlay'});
						void controller.rate(values);
					}}
				/>
			);
		case 'reference':
			return (
				<TextPrompt
					title="Reference text"
					initial={state.reference ?? ''}
					width={width}
					hints={[
						'The output is checked against it: names and numbers it lacks (unsupported), its content',
						'words the output misses (omission), its statements the output negates (contradiction).',
						'Enter sets it (empty clears it) · Esc cancels · for long texts use --reference FILE',
					]}
					onSubmit={value => {
						controller.dispatch({type: 'close-overlay'});
						controller.setReference(value);
					}}
				/>
			);
		default:
			return null;
	}
}

const NO_KEY: Key = {
	upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
	return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false,
} as Key;

/** Keys go to an open overlay first, then to the keymap. Several characters at once (a paste, a fast typist over SSH) are handled one by one. */
export function handleKeys(controller: SessionController, state: SessionState, input: string, key: Key, onQuit: () => void): void {
	if (state.overlay) {
		const textOverlay = state.overlay.kind !== 'help';
		if (key.escape || (!textOverlay && (input === 'q' || input === '?'))) controller.dispatch({type: 'close-overlay'});
		else if (key.ctrl && input === 'c') onQuit();
		return;
	}
	const plain = !key.ctrl && !key.meta && !Object.entries(key).some(([name, on]) => on && name !== 'shift');
	if (plain && [...input].length > 1) {
		for (const ch of input) {
			const action = actionFor(ch, {...NO_KEY, tab: ch === '\t', return: ch === '\r', escape: ch === '\x1b'});
			if (action) perform(controller, controller.getState(), action, onQuit);
		}
		return;
	}
	const action = actionFor(input, key);
	if (action) perform(controller, state, action, onQuit);
}

function perform(controller: SessionController, state: SessionState, action: Action, onQuit: () => void): void {
	const findingsFocused = state.focus === 'findings';
	switch (action) {
		case 'token-prev':
			return controller.dispatch({type: 'move-token', delta: -1});
		case 'token-next':
			return controller.dispatch({type: 'move-token', delta: 1});
		case 'token-first':
			return controller.dispatch({type: 'token-first'});
		case 'token-last':
			return controller.dispatch({type: 'token-last'});
		case 'layer-prev':
			return controller.dispatch(findingsFocused ? {type: 'move-finding', delta: -1} : {type: 'move-layer', delta: -1});
		case 'layer-next':
			return controller.dispatch(findingsFocused ? {type: 'move-finding', delta: 1} : {type: 'move-layer', delta: 1});
		case 'layer-first':
			return controller.dispatch({type: 'layer-first'});
		case 'layer-last':
			return controller.dispatch({type: 'layer-last'});
		case 'head-prev':
			return controller.dispatch({type: 'move-head', delta: -1});
		case 'head-next':
			return controller.dispatch({type: 'move-head', delta: 1});
		case 'head-average':
			return controller.dispatch({type: 'toggle-head-average'});
		case 'focus-next':
			return controller.dispatch({type: 'focus', delta: 1});
		case 'focus-prev':
			return controller.dispatch({type: 'focus', delta: -1});
		case 'row-values':
			return controller.dispatch({type: 'toggle-row-values'});
		case 'step':
			void controller.step();
			return;
		case 'continue':
			void controller.continueRun();
			return;
		case 'stop':
			return controller.stop();
		case 'undo':
			void controller.undo();
			return;
		case 'edit-prompt':
			return controller.dispatch({type: 'open', overlay: {kind: 'prompt'}});
		case 'add-breakpoint':
			return controller.dispatch({type: 'open', overlay: {kind: 'breakpoint'}});
		case 'clear-breakpoints':
			return controller.clearBreakpoints();
		case 'rate':
			// With no output there is nothing to rate, but earlier ratings of the prompt can still be read.
			if (generatedCount(state) === 0 && state.earlierRatings.length === 0) {
				return controller.dispatch({type: 'message', text: 'nothing to rate yet: generate some output first (n or c)'});
			}
			return controller.dispatch({type: 'open', overlay: {kind: 'rating'}});
		case 'set-reference':
			return controller.dispatch({type: 'open', overlay: {kind: 'reference'}});
		case 'help':
			return controller.dispatch({type: 'open', overlay: {kind: 'help'}});
		case 'quit':
			return onQuit();
	}
}
