/** The summary `lmscope trace` prints: next-token distribution and, per layer, what stands out. */
import {attentionRow, logitsRow, type Trace} from '../model/trace.js';
import {entropy, softmax, topK} from './distribution.js';
import {classLens, logitLens, type LensFunction} from './logitLens.js';

export interface TokenRef {
	id: number;
	text: string;
}

export interface ScoredToken extends TokenRef {
	probability: number;
}

export interface HeadFocus {
	head: number;
	/** The key position with the most attention from the focus token (itself included). */
	position: number;
	token: string;
	probability: number;
}

export interface LayerSummary {
	/** 0 = embeddings, l + 1 = after block l (the logit-lens convention). */
	layer: number;
	name: string;
	residualNorm: number;
	heads: HeadFocus[];
	lens: ScoredToken[];
}

export interface TraceSummary {
	/** 'classification': `next` holds class probabilities (text = label) for the whole input. */
	task: 'next-token' | 'classification';
	/** The position whose internals the layers describe: the last token, or a classifier's first (the [CLS] token its head reads). */
	focus: number;
	tokens: TokenRef[];
	next: ScoredToken[];
	entropy: number;
	layers: LayerSummary[];
}

export function l2norm(values: ArrayLike<number>): number {
	let sum = 0;
	for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
	return Math.sqrt(sum);
}

/** `labels` marks a sequence classifier: class names by index. */
export async function summarizeTrace(trace: Trace, piece: (id: number) => string, lens: LensFunction, k: number, labels?: string[]): Promise<TraceSummary> {
	const lastRow = trace.start + trace.rows - 1;
	const probs = softmax(logitsRow(trace, lastRow));
	const scored = (id: number, probability: number): ScoredToken => ({id, text: piece(id), probability});
	const label = (id: number, probability: number): ScoredToken => ({id, text: labels?.[id] ?? `LABEL_${id}`, probability});
	const last = labels ? trace.start : lastRow;
	const lensRows = labels ? await classLens(trace.residual ?? [], trace.rows, lens, k) : await logitLens(trace, lens, last, k);
	const lensScored = labels ? label : scored;
	const residual = trace.residual ?? [];
	const layers: LayerSummary[] = residual.map((stream, l) => {
		const row = last - trace.start;
		const heads: HeadFocus[] = [];
		if (l > 0 && trace.attention[l - 1]) {
			for (let h = 0; h < trace.heads; h++) {
				const attention = attentionRow(trace, l - 1, h, last);
				let best = 0;
				for (let j = 1; j < attention.length; j++) if (attention[j]! > attention[best]!) best = j;
				heads.push({head: h, position: best, token: piece(trace.ids[best]!), probability: attention[best]!});
			}
		}
		return {
			layer: l,
			name: l === 0 ? 'embed' : `block ${l - 1}`,
			residualNorm: l2norm(stream.subarray(row * trace.width, (row + 1) * trace.width)),
			heads,
			lens: lensRows ? lensRows[l]!.top.map(c => lensScored(c.id, c.probability)) : [],
		};
	});
	return {
		task: labels ? 'classification' : 'next-token',
		focus: last,
		tokens: trace.ids.map(id => ({id, text: piece(id)})),
		next: topK(probs, k).map(c => (labels ? label : scored)(c.id, c.probability)),
		entropy: entropy(probs),
		layers,
	};
}
