/**
 * What each pane shows, derived from the session state. The UI renders these numbers; it never
 * computes them itself.
 */
import {l2norm} from '../analysis/traceSummary.js';
import type {PositionData} from './sequence.js';
import type {SessionState} from './state.js';

/** Attention of query `q` to key `k` at `layer` for one head, or averaged over heads. Undefined where masked (k > q in a decoder). */
export function attentionValue(positions: readonly PositionData[], layer: number, head: number | 'average', q: number, k: number): number | undefined {
	const keys = positions[q]!.keys;
	if (k >= keys) return undefined;
	const row = positions[q]!.attention[layer]!;
	if (head !== 'average') return row[head * keys + k]!;
	const heads = row.length / keys;
	let sum = 0;
	for (let h = 0; h < heads; h++) sum += row[h * keys + k]!;
	return sum / heads;
}

export interface Window {
	start: number;
	/** Exclusive. */
	end: number;
}

/** A window of at most `size` positions that contains `cursor`, centred on it where possible. */
export function windowAround(cursor: number, count: number, size: number): Window {
	if (count <= size) return {start: 0, end: count};
	const start = Math.max(0, Math.min(count - size, cursor - Math.floor(size / 2)));
	return {start, end: start + size};
}

export interface AttentionGrid {
	queries: Window;
	keys: Window;
	/** values[i][j]: query queries.start + i, key keys.start + j; undefined where masked. */
	values: Array<Array<number | undefined>>;
	head: number | 'average';
	layer: number;
	/** True when the sequence is longer than the grid shows. */
	clipped: boolean;
}

export function attentionGrid(state: SessionState, maxRows: number, maxCols: number): AttentionGrid {
	const count = state.positions.length;
	const head = state.headMode === 'average' ? 'average' : state.cursor.head;
	const queries = windowAround(state.cursor.token, count, Math.max(1, maxRows));
	const keys = windowAround(state.cursor.token, count, Math.max(1, maxCols));
	const values: AttentionGrid['values'] = [];
	for (let q = queries.start; q < queries.end; q++) {
		const row: Array<number | undefined> = [];
		for (let k = keys.start; k < keys.end; k++) row.push(attentionValue(state.positions, state.cursor.layer, head, q, k));
		values.push(row);
	}
	return {queries, keys, values, head, layer: state.cursor.layer, clipped: queries.end - queries.start < count || keys.end - keys.start < count};
}

/** The cursor token's full attention row at the selected layer/head: every key it can see. */
export function cursorAttentionRow(state: SessionState): number[] {
	const q = state.cursor.token;
	const head = state.headMode === 'average' ? 'average' : state.cursor.head;
	return Array.from({length: state.positions[q]?.keys ?? 0}, (_, k) => attentionValue(state.positions, state.cursor.layer, head, q, k)!);
}

/** Residual-stream norm at one token, from the embeddings (index 0) through every block. */
export function residualNormsByLayer(state: SessionState, position = state.cursor.token): number[] {
	return state.positions[position]?.residual.map(l2norm) ?? [];
}

/** Residual-stream norm after block `layer`, at every position. */
export function residualNormsByPosition(state: SessionState, layer = state.cursor.layer): number[] {
	return state.positions.map(p => l2norm(p.residual[layer + 1]!));
}

export interface Neuron {
	index: number;
	value: number;
}

/** The most active MLP neurons of the cursor token at the selected layer. */
export function topNeurons(state: SessionState, k: number): Neuron[] {
	const act = state.positions[state.cursor.token]?.mlp[state.cursor.layer];
	if (!act) return [];
	return Array.from(act, (value, index) => ({index, value}))
		.sort((a, b) => b.value - a.value || a.index - b.index)
		.slice(0, k);
}

/** The MLP activation vector of the cursor token at the selected layer. */
export function mlpActivation(state: SessionState): Float32Array | undefined {
	return state.positions[state.cursor.token]?.mlp[state.cursor.layer];
}
