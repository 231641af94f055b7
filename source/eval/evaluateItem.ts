/**
 * One evaluation item: generate (or take the given prediction), run the findings detectors, score
 * the output against the references, and measure the model's perplexity on the reference.
 */
import {defaultDetectors} from '../analysis/detectors/index.js';
import {entropy, softmax} from '../analysis/distribution.js';
import {runDetectors, type Detector, type DetectorToken, type Finding} from '../analysis/findings.js';
import {bleuSegmentStatistics, type BleuStatistics, SENTENCE_BLEU_DEFAULTS, sentenceBleu} from '../analysis/metrics/bleu.js';
import {chrfSegmentStatistics, chrfFromStatistics, type ChrfStatistics} from '../analysis/metrics/chrf.js';
import type {MetricName, ScoreOptions} from '../analysis/metrics/corpus.js';
import {rougeMulti, type RougeType} from '../analysis/metrics/rouge.js';
import {exactMatch, tokenF1} from '../analysis/metrics/squad.js';
import {generate, type StopReason} from '../model/generate.js';
import type {LanguageModel} from '../model/languageModel.js';
import type {SamplingSettings} from '../model/sampling.js';
import {logitsRow} from '../model/trace.js';
import type {EvalItem} from './dataset.js';

export type EvalMetric = MetricName | 'perplexity';

export interface ItemResult {
	index: number;
	line: number;
	prompt: string;
	references: string[];
	output: string;
	/** Why generation stopped, or 'given' for a prediction from the data. */
	stop: StopReason | 'given';
	findings: Finding[];
	/** Per-item scores: BLEU/chrF 0-100 (sentence level), ROUGE F/EM/F1 0-1, perplexity. */
	scores: Partial<Record<EvalMetric, number>>;
	/** For corpus-level BLEU/chrF and their bootstrap. */
	bleu?: BleuStatistics;
	chrf?: ChrfStatistics;
	/** Summed negative log-likelihood (nats) and token count of the reference, for corpus perplexity. */
	referenceNll?: {nll: number; tokens: number};
	/** A problem with this item that did not stop the run (e.g. the reference too long for perplexity). */
	note?: string;
}

export interface ItemOptions {
	/** The findings detectors (defaultDetectors with the run's thresholds). */
	detectors?: readonly Detector[];
	metrics: MetricName[];
	maxNewTokens: number;
	sampling: SamplingSettings;
	score: ScoreOptions;
}

const DEFAULT_DETECTORS = defaultDetectors();

/** Words as pseudo-tokens, for detectors over text that no model produced. */
function textTokens(text: string, generated: boolean, ids: Map<string, number>): DetectorToken[] {
	return (text.match(/\s*\S+|\s+$/g) ?? []).map(piece => ({id: ids.get(piece) ?? ids.set(piece, ids.size).get(piece)!, text: piece, generated}));
}

export async function evaluateItem(item: EvalItem, model: LanguageModel | undefined, options: ItemOptions): Promise<ItemResult> {
	let output: string;
	let stop: ItemResult['stop'];
	let tokens: DetectorToken[];
	let promptLength: number;
	if (item.prediction !== undefined || !model) {
		output = item.prediction ?? '';
		stop = 'given';
		const ids = new Map<string, number>();
		const promptTokens = textTokens(item.prompt, false, ids);
		tokens = [...promptTokens, ...textTokens(output, true, ids)];
		promptLength = promptTokens.length;
	} else {
		const promptIds = model.encode(item.prompt, `line ${item.line}'s prompt`);
		const generated: number[] = [];
		tokens = promptIds.map(id => ({id, text: model.tokenizer.piece(id), generated: false}));
		promptLength = tokens.length;
		const stream = generate(model, promptIds, {maxNewTokens: options.maxNewTokens, sampling: options.sampling});
		for (;;) {
			const next = await stream.next();
			if (next.done) {
				stop = next.value;
				break;
			}
			const t = next.value;
			generated.push(t.id);
			tokens.push({id: t.id, text: t.text, probability: t.probability, entropy: entropy(softmax(logitsRow(t.trace, t.position - 1))), generated: true});
		}
		output = model.tokenizer.decode(generated.filter(id => id !== model.eosTokenId));
	}
	const findings = runDetectors(options.detectors ?? DEFAULT_DETECTORS, {
		tokens,
		promptLength,
		stop: stop === 'max-new-tokens' ? 'limit' : stop === 'given' ? 'eos' : stop,
		eosTokenId: stop === 'given' ? undefined : model?.eosTokenId,
		reference: item.references[0],
	});
	const result: ItemResult = {index: item.index, line: item.line, prompt: item.prompt, references: item.references, output, stop, findings, scores: {}};
	if (item.references.length > 0) {
		const refs = item.references;
		const bleuOptions = {tokenize: options.score.tokenize, lowercase: options.score.lowercase};
		for (const metric of options.metrics) {
			switch (metric) {
				case 'bleu':
					result.bleu = bleuSegmentStatistics(output, refs, bleuOptions);
					result.scores.bleu = sentenceBleu(output, refs, {...SENTENCE_BLEU_DEFAULTS, ...bleuOptions}).score;
					break;
				case 'chrf':
					result.chrf = chrfSegmentStatistics(output, refs, {lowercase: options.score.lowercase});
					result.scores.chrf = chrfFromStatistics(result.chrf);
					break;
				case 'em':
					result.scores.em = exactMatch(output, refs);
					break;
				case 'f1':
					result.scores.f1 = tokenF1(output, refs);
					break;
				default:
					result.scores[metric] = rougeMulti(refs, output, metric as RougeType, {stem: options.score.stem}).f;
			}
		}
		if (model) {
			try {
				result.referenceNll = await referenceNll(model, item.prompt, refs[0]!);
				result.scores.perplexity = Math.exp(result.referenceNll.nll / result.referenceNll.tokens);
			} catch (error) {
				result.note = `no perplexity: ${(error as Error).message}`;
			}
		}
	}
	return result;
}

/** Negative log-likelihood of the reference as a continuation of the prompt, under the model. */
export async function referenceNll(model: LanguageModel, prompt: string, reference: string): Promise<{nll: number; tokens: number}> {
	const promptIds = model.encode(prompt);
	const joined = model.tokenizer.encode(prompt + reference);
	// Where tokenization of prompt + reference keeps the prompt's tokens, use it (no artificial
	// boundary); otherwise append the reference tokenized on its own.
	const samePrefix = promptIds.every((id, i) => joined[i] === id) && joined.length > promptIds.length;
	const ids = samePrefix ? joined : [...promptIds, ...model.tokenizer.encode(reference)];
	model.checkLength(ids.length, 'the prompt and reference');
	const trace = await model.forward(ids, {logits: 'all'});
	let nll = 0;
	for (let p = promptIds.length; p < ids.length; p++) nll -= Math.log(softmax(logitsRow(trace, p - 1))[ids[p]!]!);
	return {nll, tokens: ids.length - promptIds.length};
}
