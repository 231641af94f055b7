/**
 * Tokenizers through @huggingface/transformers' AutoTokenizer, from a local folder only (no
 * network). Its own errors for missing or broken files are cryptic, so the files are checked here
 * first and every failure names the file and the fix.
 */
import fs from 'node:fs';
import path from 'node:path';
import {UserError, firstLine} from '../errors.js';

export interface Tokenizer {
	encode(text: string): number[];
	decode(ids: number[]): string;
	/** The text of one token, as the user should see it. */
	piece(id: number): string;
	eosTokenId?: number;
	vocabSize: number;
}

const REQUIRED = ['tokenizer.json', 'tokenizer_config.json'];

export async function loadTokenizer(dir: string): Promise<Tokenizer> {
	if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
		throw new UserError(`tokenizer folder ${dir} does not exist: pass --tokenizer DIR with tokenizer.json and tokenizer_config.json`);
	}
	for (const file of REQUIRED) {
		const full = path.join(dir, file);
		if (!fs.existsSync(full)) {
			throw new UserError(`${full} is missing: lmscope needs ${REQUIRED.join(' and ')} in the model folder (or --tokenizer DIR)`);
		}
		try {
			JSON.parse(fs.readFileSync(full, 'utf8'));
		} catch (error) {
			throw new UserError(`${full} is not valid JSON (${firstLine(error)}): restore it from the model's original files`);
		}
	}
	const {AutoTokenizer, env} = await import('@huggingface/transformers');
	env.allowRemoteModels = false;
	env.allowLocalModels = true;
	let tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
	try {
		tokenizer = await AutoTokenizer.from_pretrained(path.resolve(dir), {local_files_only: true});
	} catch (error) {
		throw new UserError(`cannot load the tokenizer in ${dir} (${firstLine(error)}): check tokenizer.json and tokenizer_config.json`);
	}
	const pieces = new Map<number, string>();
	const vocab = (JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')) as {model?: {vocab?: unknown}}).model?.vocab;
	const vocabSize = vocab && typeof vocab === 'object' ? Object.keys(vocab).length : 0;
	return {
		encode: text => tokenizer.encode(text, {add_special_tokens: true}),
		decode: ids => tokenizer.decode(ids, {skip_special_tokens: false}),
		piece(id) {
			let text = pieces.get(id);
			if (text === undefined) {
				text = tokenizer.decode([id], {skip_special_tokens: false});
				pieces.set(id, text);
			}
			return text;
		},
		eosTokenId: typeof tokenizer.eos_token_id === 'number' ? tokenizer.eos_token_id : undefined,
		vocabSize,
	};
}
