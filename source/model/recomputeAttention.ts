/**
 * Nodes that recompute a fused attention operator's probabilities from its own inputs:
 * softmax(Q K^T * scale + mask), with Q from the packed QKV projection of the operator's input and
 * K from its present output (past keys followed by this step's), the causal mask offset by the past
 * length, and the raw attention mask, exactly as ONNX Runtime's Attention kernel applies them
 * (masked scores get the operator's mask_filter_value, so they come out as 0).
 */
import type {FusedAttention} from './graphMap.js';
import {BOOL, GraphBuilder} from './graphBuilder.js';

/** `opset` is the model's ai.onnx version: Unsqueeze takes its axes as an attribute before 13. */
export function recomputeAttention(b: GraphBuilder, a: FusedAttention, opset: number, hidden: number): void {
	const headSize = hidden / a.heads;
	const unsqueeze = (x: string, axes: number[]) => (opset >= 13 ? b.op1('Unsqueeze', [x, b.ints('axes', axes)]) : b.op1('Unsqueeze', [x], {axes}));
	// Only Q is needed (K comes from the present output): project with the Q third of the packed weight.
	const qWeight = b.op1('Slice', [a.weight, b.ints('start', [0]), b.ints('end', [hidden]), b.ints('axis', [1])]);
	const qBias = b.op1('Slice', [a.bias, b.ints('start', [0]), b.ints('end', [hidden]), b.ints('axis', [0])]);
	const q = b.op1('Add', [b.op1('MatMul', [a.input, qWeight]), qBias]);
	const q4 = b.op1('Transpose', [b.op1('Reshape', [q, b.ints('shape', [0, 0, a.heads, headSize])])], {perm: [0, 2, 1, 3]});
	const k = b.op1('Gather', [a.present, b.ints('key', [0], [])], {axis: 0});
	const scale = b.scalar('scale', a.scale ?? 1 / Math.sqrt(headSize));
	const scores = b.op1('Mul', [b.op1('MatMul', [q4, b.op1('Transpose', [k], {perm: [0, 1, 3, 2]})]), scale]);
	const one = b.ints('one', [1], []);
	const zero = b.ints('zero', [0], []);
	const seq = b.op1('Gather', [b.op1('Shape', [a.input]), one], {axis: 0});
	const total = b.op1('Gather', [b.op1('Shape', [k]), b.ints('two', [2], [])], {axis: 0});
	let allowed: string | undefined;
	if (a.unidirectional) {
		const past = b.op1('Sub', [total, seq]);
		const queryPosition = b.op1('Add', [unsqueeze(b.op1('Range', [zero, seq, one]), [1]), past]);
		const keyPosition = unsqueeze(b.op1('Range', [zero, total, one]), [0]);
		allowed = b.op1('Not', [b.op1('Greater', [keyPosition, queryPosition])]);
	}
	if (a.mask) {
		const keep = unsqueeze(b.op1('Cast', [a.mask], {to: BOOL}), [1, 2]);
		allowed = allowed ? b.op1('And', [allowed, keep]) : keep;
	}
	const masked = allowed ? b.op1('Where', [allowed, scores, b.scalar('mask_filter_value', a.maskFilterValue)]) : scores;
	b.op1('Softmax', [masked], {axis: -1}, {output: a.probabilities});
}
