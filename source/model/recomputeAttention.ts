/**
 * Nodes that recompute a fused attention operator's probabilities from its own inputs, exactly
 * as ONNX Runtime's kernels form them: softmax(Q K^T * scale + masks), with
 * - Attention (transformer optimizer): Q from the packed QKV projection of the operator's input,
 *   K from its present output (past keys followed by this step's), the causal mask offset by the
 *   past length and the raw attention mask (masked scores get mask_filter_value, so come out 0);
 * - MultiHeadAttention (GenAI builder): Q as given (already rotated by separate RotaryEmbedding
 *   nodes), K from the present output, key_padding_mask, the additive attention_bias (where the
 *   builder puts its causal mask) and unidirectional;
 * - GroupQueryAttention (GenAI builder): Q rotated here with the operator's cos/sin caches when
 *   do_rotary=1 (the present key is stored rotated already), each query head reading key head
 *   h / (heads / kv heads), always causal, softcap and local window as the kernel applies them.
 * Positions are those of a single unpadded sequence: the past length plus 0..seq-1. Every input is
 * cast to float32 first (a no-op for fp32 models), so fp16 exports get float32 probabilities.
 */
import type {FusedAttention, GroupQueryAttentionOp, MultiHeadAttentionOp, PackedQkvAttention} from './graphMap.js';
import {BOOL, GraphBuilder} from './graphBuilder.js';

/** `opset` is the model's ai.onnx version: Unsqueeze takes its axes as an attribute before 13. `hidden` is needed for packed QKV only. */
export function recomputeAttention(b: GraphBuilder, a: FusedAttention, opset: number, hidden: number): void {
	const ops = new Ops(b, opset);
	if (a.op === 'Attention') packedQkv(ops, a, hidden);
	else if (a.op === 'MultiHeadAttention') multiHead(ops, a);
	else groupQuery(ops, a);
}

class Ops {
	constructor(
		readonly b: GraphBuilder,
		readonly opset: number,
	) {}

	/** The tensor in float32, whatever the model's precision. */
	f32(x: string): string {
		return this.b.op1('Cast', [x], {to: 1});
	}

	unsqueeze(x: string, axes: number[]): string {
		return this.opset >= 13 ? this.b.op1('Unsqueeze', [x, this.b.ints('axes', axes)]) : this.b.op1('Unsqueeze', [x], {axes});
	}

	/** Size of one axis, as a scalar int64. */
	dim(x: string, axis: number): string {
		return this.b.op1('Gather', [this.b.op1('Shape', [x]), this.b.ints('axis', [axis], [])], {axis: 0});
	}

	slice(x: string, start: number, end: number, axis: number): string {
		return this.b.op1('Slice', [x, this.b.ints('start', [start]), this.b.ints('end', [end]), this.b.ints('axis', [axis])]);
	}

	/** [batch, seq, heads x head] -> [batch, heads, seq, head]. */
	splitHeads(x: string, heads: number): string {
		return this.b.op1('Transpose', [this.b.op1('Reshape', [x, this.b.ints('shape', [0, 0, heads, -1])])], {perm: [0, 2, 1, 3]});
	}

	/** Q K^T times the scale; the head size is read from the key's last axis when no scale is given. */
	scores(q4: string, k4: string, scale: number | undefined): string {
		const product = this.b.op1('MatMul', [q4, this.b.op1('Transpose', [k4], {perm: [0, 1, 3, 2]})]);
		if (scale !== undefined) return this.b.op1('Mul', [product, this.b.scalar('scale', scale)]);
		const headSize = this.b.op1('Cast', [this.dim(k4, 3)], {to: 1});
		return this.b.op1('Div', [product, this.b.op1('Sqrt', [headSize])]);
	}

	/** Key positions allowed by the causal mask for queries at past..past+seq-1 ([seq, total] bool), optionally within a window. */
	causal(seq: string, total: string, window = -1): string {
		const b = this.b;
		const zero = b.ints('zero', [0], []);
		const one = b.ints('one', [1], []);
		const past = b.op1('Sub', [total, seq]);
		const queryPosition = b.op1('Add', [this.unsqueeze(b.op1('Range', [zero, seq, one]), [1]), past]);
		const keyPosition = this.unsqueeze(b.op1('Range', [zero, total, one]), [0]);
		let allowed = b.op1('Not', [b.op1('Greater', [keyPosition, queryPosition])]);
		if (window > 0) allowed = b.op1('And', [allowed, b.op1('Less', [b.op1('Sub', [queryPosition, keyPosition]), b.ints('window', [window], [])])]);
		return allowed;
	}

	/** [batch, total] 0/1 mask -> [batch, 1, 1, total] bool. */
	keep(mask: string): string {
		return this.unsqueeze(this.b.op1('Cast', [mask], {to: BOOL}), [1, 2]);
	}

	softmax(scores: string, allowed: string | undefined, filler: number, output: string): void {
		const masked = allowed ? this.b.op1('Where', [allowed, scores, this.b.scalar('mask_filter_value', filler)]) : scores;
		this.b.op1('Softmax', [masked], {axis: -1}, {output});
	}
}

function and(ops: Ops, a: string | undefined, b: string): string {
	return a ? ops.b.op1('And', [a, b]) : b;
}

function packedQkv(ops: Ops, a: PackedQkvAttention, hidden: number): void {
	const b = ops.b;
	// Only Q is needed (K comes from the present output): project with the Q third of the packed weight.
	const q = b.op1('Add', [b.op1('MatMul', [ops.f32(a.input), ops.f32(ops.slice(a.weight, 0, hidden, 1))]), ops.f32(ops.slice(a.bias, 0, hidden, 0))]);
	const k = ops.f32(b.op1('Gather', [a.present, b.ints('key', [0], [])], {axis: 0}));
	const scores = ops.scores(ops.splitHeads(q, a.heads), k, a.scale ?? 1 / Math.sqrt(hidden / a.heads));
	let allowed = a.unidirectional ? ops.causal(ops.dim(a.input, 1), ops.dim(k, 2)) : undefined;
	if (a.mask) allowed = and(ops, allowed, ops.keep(a.mask));
	ops.softmax(scores, allowed, a.maskFilterValue, a.probabilities);
}

function multiHead(ops: Ops, a: MultiHeadAttentionOp): void {
	const b = ops.b;
	const q4 = ops.splitHeads(ops.f32(a.query), a.heads);
	const k4 = a.keyIsPresent ? ops.f32(a.key) : ops.splitHeads(ops.f32(a.key), a.heads);
	let scores = ops.scores(q4, k4, a.scale);
	if (a.attentionBias) scores = b.op1('Add', [scores, ops.f32(a.attentionBias)]);
	let allowed = a.unidirectional ? ops.causal(ops.dim(a.query, 1), ops.dim(k4, 2)) : undefined;
	if (a.keyPaddingMask) allowed = and(ops, allowed, ops.keep(a.keyPaddingMask));
	ops.softmax(scores, allowed, a.maskFilterValue, a.probabilities);
}

function groupQuery(ops: Ops, a: GroupQueryAttentionOp): void {
	const b = ops.b;
	// Packed QKV: the first `heads` of the heads + 2 kv heads are the queries.
	const input = ops.f32(a.query);
	const query = a.packedQkv
		? b.op1('Reshape', [ops.slice(b.op1('Reshape', [input, b.ints('shape', [0, 0, a.heads + 2 * a.kvHeads, -1])]), 0, a.heads, 2), b.ints('shape', [0, 0, -1])])
		: input;
	let q4 = ops.splitHeads(query, a.heads);
	const seq = ops.dim(query, 1);
	const total = ops.dim(a.present, 2);
	if (a.rotary) q4 = rotate(ops, q4, a.rotary, b.op1('Range', [b.op1('Sub', [total, seq]), total, b.ints('one', [1], [])]));
	// Query head h reads key head h / (heads / kv heads): gather those along the head axis.
	const group = a.heads / a.kvHeads;
	const present = ops.f32(a.present);
	const k4 = group > 1 ? b.op1('Gather', [present, b.ints('kv_head', Array.from({length: a.heads}, (_, h) => Math.floor(h / group)))], {axis: 1}) : present;
	let scores = ops.scores(q4, k4, a.scale);
	if (a.softcap > 0) scores = b.op1('Mul', [b.op1('Tanh', [b.op1('Div', [scores, b.scalar('softcap', a.softcap)])]), b.scalar('softcap', a.softcap)]);
	// The kernel fills masked scores with the lowest float, so they come out exactly 0.
	ops.softmax(scores, ops.causal(seq, total, a.localWindow), -3.4028234663852886e38, a.probabilities);
}

/**
 * Rotary embedding (non-interleaved, the Llama/"rotate_half" form) of x [b, h, s, d] at `positions`
 * [s]: the caches are [max positions, rotary dim / 2]; dimensions past the rotary dim pass unchanged.
 */
function rotate(ops: Ops, x: string, rotary: {cos: string; sin: string}, positions: string): string {
	const b = ops.b;
	const table = (cache: string) => {
		const rows = ops.f32(b.op1('Gather', [cache, positions], {axis: 0}));
		return b.op1('Concat', [rows, rows], {axis: -1});
	};
	const cos = table(rotary.cos);
	const sin = table(rotary.sin);
	const rotaryDim = ops.dim(cos, 1);
	const half = b.op1('Div', [rotaryDim, b.ints('two', [2], [])]);
	const big = b.ints('end', [Number.MAX_SAFE_INTEGER]);
	const axis = b.ints('axis', [3]);
	const zero = b.ints('start', [0]);
	const range = (start: string, end: string) => b.op1('Slice', [x, start, end, axis]);
	const unsqueeze0 = (t: string) => ops.unsqueeze(t, [0]);
	const rotated = range(zero, unsqueeze0(rotaryDim));
	const first = range(zero, unsqueeze0(half));
	const second = range(unsqueeze0(half), unsqueeze0(rotaryDim));
	const turned = b.op1('Concat', [b.op1('Neg', [second]), first], {axis: -1});
	const out = b.op1('Add', [b.op1('Mul', [rotated, cos]), b.op1('Mul', [turned, sin])]);
	return b.op1('Concat', [out, range(unsqueeze0(rotaryDim), big)], {axis: -1});
}
