/** Pure state changes: cursor moves, focus, toggles and overlays. Async work lives in the controller. */
import {PANES, type Overlay, type SessionState} from './state.js';

export type Command =
	| {type: 'move-token'; delta: number}
	| {type: 'token-first'}
	| {type: 'token-last'}
	| {type: 'move-layer'; delta: number}
	| {type: 'layer-first'}
	| {type: 'layer-last'}
	| {type: 'move-head'; delta: number}
	| {type: 'toggle-head-average'}
	| {type: 'focus'; delta: 1 | -1}
	| {type: 'toggle-row-values'}
	| {type: 'open'; overlay: Overlay}
	| {type: 'close-overlay'}
	| {type: 'move-finding'; delta: number}
	| {type: 'message'; text?: string};

const clamp = (value: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, value));

export function reduce(state: SessionState, command: Command): SessionState {
	const {cursor} = state;
	const lastToken = Math.max(0, state.positions.length - 1);
	const lastLayer = Math.max(0, state.model.layers - 1);
	const lastHead = Math.max(0, state.model.heads - 1);
	switch (command.type) {
		case 'move-token':
			return {...state, cursor: {...cursor, token: clamp(cursor.token + command.delta, 0, lastToken)}};
		case 'token-first':
			return {...state, cursor: {...cursor, token: 0}};
		case 'token-last':
			return {...state, cursor: {...cursor, token: lastToken}};
		case 'move-layer':
			return {...state, cursor: {...cursor, layer: clamp(cursor.layer + command.delta, 0, lastLayer)}};
		case 'layer-first':
			return {...state, cursor: {...cursor, layer: 0}};
		case 'layer-last':
			return {...state, cursor: {...cursor, layer: lastLayer}};
		case 'move-head':
			// Moving the head leaves head-average mode: the user wants one head.
			return {...state, headMode: 'single', cursor: {...cursor, head: clamp(cursor.head + command.delta, 0, lastHead)}};
		case 'toggle-head-average':
			return {...state, headMode: state.headMode === 'single' ? 'average' : 'single'};
		case 'focus': {
			const i = PANES.indexOf(state.focus);
			return {...state, focus: PANES[(i + command.delta + PANES.length) % PANES.length]!};
		}
		case 'toggle-row-values':
			return {...state, showRowValues: !state.showRowValues};
		case 'open':
			return {...state, overlay: command.overlay};
		case 'close-overlay':
			return {...state, overlay: undefined};
		case 'move-finding': {
			if (state.findings.length === 0) return state;
			const selectedFinding = clamp(state.selectedFinding + command.delta, 0, state.findings.length - 1);
			const finding = state.findings[selectedFinding]!;
			// Selecting a finding moves the cursor to the start of its span.
			return {...state, selectedFinding, cursor: {...cursor, token: clamp(finding.start, 0, lastToken)}};
		}
		case 'message':
			return {...state, message: command.text};
	}
}
