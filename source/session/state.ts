/** The session's state: everything the screen shows, as one immutable snapshot. */
import type {Candidate} from '../analysis/distribution.js';
import type {Finding} from '../analysis/findings.js';
import type {LensRow} from '../analysis/logitLens.js';
import type {ModelInfo} from '../model/languageModel.js';
import type {SamplingSettings} from '../model/sampling.js';
import type {Rating} from '../ratings/ratingStore.js';
import type {Breakpoint} from './breakpoints.js';
import type {PositionData} from './sequence.js';

export const PANES = ['tokens', 'attention', 'activations', 'lens', 'next', 'findings'] as const;
export type PaneId = (typeof PANES)[number];

export interface Cursor {
	/** Token position (query row of the attention grid). */
	token: number;
	/** Block index, 0..layers-1. */
	layer: number;
	head: number;
}

export interface GenerationSettings extends SamplingSettings {
	/** How many tokens one `continue` may generate at most. */
	maxNewTokens: number;
}

export type Overlay = {kind: 'help'} | {kind: 'prompt'} | {kind: 'breakpoint'} | {kind: 'reference'} | {kind: 'rating'};

export type Activity = 'loading' | 'idle' | 'running' | 'continuing';

export interface SessionState {
	model: ModelInfo;
	prompt: string;
	promptLength: number;
	positions: readonly PositionData[];
	cursor: Cursor;
	headMode: 'single' | 'average';
	focus: PaneId;
	/** Show the exact attention numbers of the cursor's row. */
	showRowValues: boolean;
	settings: GenerationSettings;
	breakpoints: readonly Breakpoint[];
	findings: readonly Finding[];
	selectedFinding: number;
	activity: Activity;
	/** One line for the status bar: what just happened, or an error. */
	message?: string;
	/** The logit lens at the cursor token, once computed; a classifier's class lens belongs to the whole sequence. */
	lens?: {position: number | 'sequence'; rows: LensRow[] | 'unavailable'};
	/** A sequence classifier's class probabilities for the whole input (labels: model.labels). */
	classes?: {top: Candidate[]; entropy: number};
	overlay?: Overlay;
	/** Generation has reached end-of-sequence or the context: stepping is over until undo. */
	finished?: 'eos' | 'context';
	/** Why the last generation run stopped (cleared by the next step): the ending detectors use it. */
	stop?: 'eos' | 'limit' | 'context';
	/** A reference or source text the output is checked against (R in the inspector, --reference). */
	reference?: string;
	/** Ratings of this prompt already in the ratings file, oldest first (shown in the rating form). */
	earlierRatings: readonly Rating[];
}

export function initialState(model: ModelInfo, prompt: string, settings: GenerationSettings): SessionState {
	return {
		model,
		prompt,
		promptLength: 0,
		positions: [],
		cursor: {token: 0, layer: 0, head: 0},
		headMode: 'single',
		focus: 'tokens',
		showRowValues: false,
		settings,
		breakpoints: [],
		findings: [],
		selectedFinding: 0,
		activity: 'loading',
		earlierRatings: [],
	};
}

export function generatedCount(state: SessionState): number {
	return state.positions.length - state.promptLength;
}
