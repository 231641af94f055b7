/** `lmscope trace`: one forward pass, summarised as text or JSON. */
import {summarizeTrace, type TraceSummary} from '../analysis/traceSummary.js';
import type {LanguageModel} from '../model/languageModel.js';
import {WANT_ALL} from '../model/trace.js';
import {bar, pad, showToken} from './format.js';

export async function traceCommand(model: LanguageModel, prompt: string, options: {topK: number; json: boolean}): Promise<string> {
	const ids = model.encode(prompt);
	const trace = await model.forward(ids, {...WANT_ALL, logits: 'last'});
	const summary = await summarizeTrace(trace, id => model.tokenizer.piece(id), (rows, n) => model.lensLogits(rows, n), options.topK, model.info.labels);
	if (options.json) return JSON.stringify({model: model.info, ...summary}, null, 2);
	return formatTrace(model, summary);
}

export function formatTrace(model: LanguageModel, summary: TraceSummary): string {
	const info = model.info;
	const lines: string[] = [];
	lines.push(`model ${info.name}: ${info.layers} layers, ${info.heads} heads, width ${info.width}, vocab ${info.vocabSize}${info.context ? `, context ${info.context}` : ''}${info.labels ? `, classifier of ${info.labels.length} classes` : ''} (${info.provider})`);
	lines.push(`tokens (${summary.tokens.length}): ${summary.tokens.map(t => `${showToken(t.text)}`).join(' ')}`);
	const classifier = summary.task === 'classification';
	const show = (text: string) => (classifier ? text : showToken(text));
	const focus = summary.tokens[summary.focus]!;
	lines.push(
		'',
		classifier
			? `class probabilities for the whole input (entropy ${summary.entropy.toFixed(2)} nats; ${info.labels!.length} classes):`
			: `next token after ${showToken(focus.text)} (entropy ${summary.entropy.toFixed(2)} nats):`,
	);
	summary.next.forEach((c, i) => {
		lines.push(`  ${String(i + 1).padStart(2)}. ${pad(show(c.text), 16)} ${c.probability.toFixed(4)} ${bar(c.probability, 20)}`);
	});
	lines.push('', classifier ? `per layer, at token 0 (${showToken(focus.text)}, the token the classification head reads); attention is bidirectional:` : 'per layer, at the last token:');
	lines.push(`  ${pad('layer', 8)} ${pad('|resid|', 8)} ${pad(classifier ? 'class lens (head on this layer)' : 'logit lens (top)', 40)} most-attended token per head`);
	for (const layer of summary.layers) {
		const lens = layer.lens.slice(0, 3).map(c => `${show(c.text)} ${c.probability.toFixed(2)}`).join(', ');
		const heads = layer.heads.map(h => `h${h.head}:${showToken(h.token)}@${h.position} ${h.probability.toFixed(2)}`).join('  ');
		lines.push(`  ${pad(layer.name, 8)} ${pad(layer.residualNorm.toFixed(2), 8)} ${pad(lens, 40)} ${heads}`);
	}
	return lines.join('\n');
}
