/** Generation as a stream of steps: each yields the chosen token, its probability and its trace. */
import {softmax} from '../analysis/distribution.js';
import {Decoder} from './decoder.js';
import type {LanguageModel} from './languageModel.js';
import {chooseToken, seededRandom, type SamplingSettings} from './sampling.js';
import {logitsRow, type Trace, type Want} from './trace.js';

export interface GeneratedToken {
	id: number;
	text: string;
	/** The model's probability of this token (temperature 1, before any filtering). */
	probability: number;
	position: number;
	/** The trace of the step that produced the distribution this token was drawn from. */
	trace: Trace;
}

export type StopReason = 'eos' | 'max-new-tokens' | 'context';

export interface GenerateOptions {
	maxNewTokens: number;
	sampling: SamplingSettings;
	want?: Want;
	/** Stop at the end-of-sequence token (default true). */
	stopAtEos?: boolean;
}

export async function* generate(
	model: LanguageModel,
	promptIds: number[],
	options: GenerateOptions,
): AsyncGenerator<GeneratedToken, StopReason> {
	model.requireGeneration();
	const want: Want = {...options.want, logits: 'last'};
	const random = seededRandom(options.sampling.seed);
	const decoder = new Decoder(model);
	let trace = await decoder.prefill(promptIds, want);
	const context = model.info.context ?? Infinity;
	for (let n = 0; n < options.maxNewTokens; n++) {
		const logits = logitsRow(trace, decoder.ids.length - 1);
		const id = chooseToken(logits, options.sampling, random);
		const probability = softmax(logits)[id]!;
		yield {id, text: model.tokenizer.piece(id), probability, position: decoder.ids.length, trace};
		if (options.stopAtEos !== false && id === model.eosTokenId) return 'eos';
		if (n === options.maxNewTokens - 1) break;
		if (decoder.ids.length >= context) return 'context';
		trace = await decoder.step(id, want);
	}
	return 'max-new-tokens';
}
