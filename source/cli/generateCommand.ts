/** `lmscope generate`: stream tokens to stdout (with probabilities under --verbose). */
import {generate, type StopReason} from '../model/generate.js';
import type {LanguageModel} from '../model/languageModel.js';
import type {SamplingSettings} from '../model/sampling.js';
import {showToken} from './format.js';

export interface GenerateFlags {
	maxNewTokens: number;
	sampling: SamplingSettings;
	verbose: boolean;
}

export async function generateCommand(
	model: LanguageModel,
	prompt: string,
	flags: GenerateFlags,
	write: (text: string) => void,
	note: (text: string) => void,
): Promise<StopReason> {
	const ids = model.encode(prompt);
	if (!flags.verbose) write(prompt);
	const stream = generate(model, ids, {maxNewTokens: flags.maxNewTokens, sampling: flags.sampling});
	for (;;) {
		const next = await stream.next();
		if (next.done) {
			if (!flags.verbose) write('\n');
			note(stopNote(next.value, flags.maxNewTokens, model.info.context));
			return next.value;
		}
		const token = next.value;
		if (flags.verbose) write(`${String(token.position).padStart(4)}  ${token.probability.toFixed(4)}  ${showToken(token.text)}\n`);
		else if (token.id !== model.eosTokenId) write(token.text);
	}
}

function stopNote(reason: StopReason, max: number, context?: number): string {
	switch (reason) {
		case 'eos':
			return 'stopped: end-of-sequence token';
		case 'context':
			return `stopped: reached the model's context of ${context} tokens`;
		default:
			return `stopped: ${max} new tokens (--max-new-tokens)`;
	}
}
