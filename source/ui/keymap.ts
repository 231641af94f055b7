/**
 * The keymap: one table that both handles keys and generates the help overlay and the footer.
 * Arrows and hjkl both work; every action is one key away.
 */
import type {Key} from 'ink';

export type Action =
	| 'token-prev'
	| 'token-next'
	| 'token-first'
	| 'token-last'
	| 'layer-prev'
	| 'layer-next'
	| 'layer-first'
	| 'layer-last'
	| 'head-prev'
	| 'head-next'
	| 'head-average'
	| 'focus-next'
	| 'focus-prev'
	| 'row-values'
	| 'step'
	| 'continue'
	| 'stop'
	| 'undo'
	| 'edit-prompt'
	| 'add-breakpoint'
	| 'clear-breakpoints'
	| 'set-reference'
	| 'rate'
	| 'help'
	| 'quit';

type SpecialKey = 'leftArrow' | 'rightArrow' | 'upArrow' | 'downArrow' | 'home' | 'end' | 'tab' | 'escape' | 'pageUp' | 'pageDown';

export interface KeySpec {
	/** A printable character, matched exactly (case matters). */
	char?: string;
	special?: SpecialKey;
	shift?: boolean;
	ctrl?: boolean;
}

export interface Binding {
	action: Action;
	keys: KeySpec[];
	/** How the keys are written in the help and footer. */
	label: string;
	description: string;
	/** Short text for the footer; bindings without one appear only in the help. */
	footer?: string;
	group: 'move' | 'view' | 'generate' | 'general';
}

export const KEYMAP: readonly Binding[] = [
	{action: 'token-prev', keys: [{special: 'leftArrow'}, {char: 'h'}], label: '← h', description: 'previous token', footer: 'token', group: 'move'},
	{action: 'token-next', keys: [{special: 'rightArrow'}, {char: 'l'}], label: '→ l', description: 'next token', group: 'move'},
	{action: 'token-first', keys: [{special: 'home'}, {char: 'g'}], label: 'Home g', description: 'first token', group: 'move'},
	{action: 'token-last', keys: [{special: 'end'}, {char: 'G'}], label: 'End G', description: 'last token', group: 'move'},
	{action: 'layer-prev', keys: [{special: 'upArrow'}, {char: 'k'}], label: '↑ k', description: 'previous layer', footer: 'layer', group: 'move'},
	{action: 'layer-next', keys: [{special: 'downArrow'}, {char: 'j'}], label: '↓ j', description: 'next layer', group: 'move'},
	{action: 'layer-first', keys: [{special: 'pageUp'}, {char: '<'}], label: 'PgUp <', description: 'first layer', group: 'move'},
	{action: 'layer-last', keys: [{special: 'pageDown'}, {char: '>'}], label: 'PgDn >', description: 'last layer', group: 'move'},
	{action: 'head-prev', keys: [{char: '['}], label: '[', description: 'previous head', footer: 'head', group: 'move'},
	{action: 'head-next', keys: [{char: ']'}], label: ']', description: 'next head', group: 'move'},
	{action: 'head-average', keys: [{char: 'a'}], label: 'a', description: 'head average / single head', footer: 'avg', group: 'view'},
	{action: 'row-values', keys: [{char: 'v'}], label: 'v', description: 'exact numbers of cursor row', group: 'view'},
	{action: 'focus-next', keys: [{special: 'tab'}], label: 'Tab', description: 'focus the next pane', group: 'view'},
	{action: 'focus-prev', keys: [{special: 'tab', shift: true}], label: 'S-Tab', description: 'focus the previous pane', group: 'view'},
	{action: 'step', keys: [{char: 'n'}, {char: 's'}], label: 'n s', description: 'step: generate one token', footer: 'step', group: 'generate'},
	{action: 'continue', keys: [{char: 'c'}], label: 'c', description: 'continue to breakpoint/EOS', footer: 'cont', group: 'generate'},
	{action: 'stop', keys: [{char: 'x'}, {special: 'escape'}], label: 'x Esc', description: 'stop a continue', footer: 'stop', group: 'generate'},
	{action: 'undo', keys: [{char: 'u'}], label: 'u', description: 'undo last generated token', footer: 'undo', group: 'generate'},
	{action: 'edit-prompt', keys: [{char: 'e'}], label: 'e', description: 'edit the prompt and re-run', footer: 'prompt', group: 'generate'},
	{action: 'add-breakpoint', keys: [{char: 'b'}], label: 'b', description: 'add a breakpoint', footer: 'break', group: 'generate'},
	{action: 'clear-breakpoints', keys: [{char: 'B'}], label: 'B', description: 'clear all breakpoints', group: 'generate'},
	{action: 'rate', keys: [{char: 'r'}], label: 'r', description: 'rate the output', footer: 'rate', group: 'generate'},
	{action: 'set-reference', keys: [{char: 'R'}], label: 'R', description: 'set the reference text', group: 'generate'},
	{action: 'help', keys: [{char: '?'}], label: '?', description: 'this help', footer: 'help', group: 'general'},
	{action: 'quit', keys: [{char: 'q'}, {char: 'c', ctrl: true}], label: 'q ^C', description: 'quit', footer: 'quit', group: 'general'},
];

function matches(spec: KeySpec, input: string, key: Key): boolean {
	if (spec.special) return key[spec.special] && (spec.shift === undefined || key.shift === spec.shift);
	if (spec.ctrl) return key.ctrl && input === spec.char;
	return !key.ctrl && !key.meta && input === spec.char;
}

/** The action bound to a key press, if any. */
export function actionFor(input: string, key: Key): Action | undefined {
	// Shift-Tab must win over Tab: check the more specific specs first.
	for (const binding of KEYMAP) {
		if (binding.keys.some(spec => spec.special === 'tab' && spec.shift === true && matches(spec, input, key))) return binding.action;
	}
	for (const binding of KEYMAP) {
		if (binding.keys.some(spec => !(spec.special === 'tab' && spec.shift) && matches(spec, input, key))) {
			if (binding.action === 'focus-next' && key.shift) continue;
			return binding.action;
		}
	}
	return undefined;
}

/** Footer entries: the first key of each binding that has a footer label. */
export function footerEntries(): Array<{key: string; text: string}> {
	return KEYMAP.filter(b => b.footer).map(b => {
		const label = b.action === 'token-prev' ? '←→' : b.action === 'layer-prev' ? '↑↓' : b.action === 'head-prev' ? '[]' : b.label.split(' ')[0]!;
		return {key: label, text: b.footer!};
	});
}
