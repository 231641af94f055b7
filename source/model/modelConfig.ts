/** The few fields of a Hugging Face config.json lmscope uses, under their various spellings. */
import fs from 'node:fs';
import {UserError} from '../errors.js';

export interface ModelConfig {
	modelType?: string;
	layers?: number;
	heads?: number;
	width?: number;
	vocabSize?: number;
	/** Longest sequence the model takes (learned positions make longer ones impossible). */
	context?: number;
	eosTokenId?: number;
	/** Class names of a classifier (id2label), by class index. */
	labels?: string[];
}

/** ORT GenAI's genai_config.json: {model: {context_length, eos_token_id, vocab_size, decoder: {head_size, num_hidden_layers, num_key_value_heads}}}. */
export function readGenaiConfig(file: string): ModelConfig {
	if (!fs.existsSync(file)) return {};
	let raw: {model?: Record<string, unknown>};
	try {
		raw = JSON.parse(fs.readFileSync(file, 'utf8')) as {model?: Record<string, unknown>};
	} catch (error) {
		throw new UserError(`${file} is not valid JSON (${(error as Error).message}): fix it or remove it`);
	}
	const m = raw.model ?? {};
	const decoder = (m['decoder'] ?? {}) as Record<string, unknown>;
	const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
	return {
		modelType: typeof m['type'] === 'string' ? (m['type'] as string) : undefined,
		layers: num(decoder['num_hidden_layers']),
		vocabSize: num(m['vocab_size']),
		context: num(m['context_length']),
		eosTokenId: num(m['eos_token_id']),
	};
}

export function readModelConfig(file: string | undefined): ModelConfig {
	if (!file) return {};
	let raw: Record<string, unknown>;
	try {
		raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
	} catch (error) {
		throw new UserError(`${file} is not valid JSON (${(error as Error).message}): fix it or remove it`);
	}
	if (typeof raw !== 'object' || raw === null) throw new UserError(`${file} must hold a JSON object`);
	const num = (...keys: string[]): number | undefined => {
		for (const key of keys) if (typeof raw[key] === 'number') return raw[key] as number;
		return undefined;
	};
	const eos = raw['eos_token_id'];
	return {
		modelType: typeof raw['model_type'] === 'string' ? (raw['model_type'] as string) : undefined,
		layers: num('n_layer', 'num_hidden_layers'),
		heads: num('n_head', 'num_attention_heads'),
		width: num('n_embd', 'hidden_size', 'd_model'),
		vocabSize: num('vocab_size'),
		context: num('n_positions', 'max_position_embeddings', 'n_ctx'),
		eosTokenId: typeof eos === 'number' ? eos : Array.isArray(eos) && typeof eos[0] === 'number' ? eos[0] : undefined,
		labels: labelsOf(raw['id2label']),
	};
}

/** id2label {"0": "law", ...} as an array; undefined unless every index 0..n-1 has a string. */
function labelsOf(value: unknown): string[] | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const entries = Object.entries(value as Record<string, unknown>);
	const labels: string[] = [];
	for (const [key, label] of entries) {
		const i = Number(key);
		if (!Number.isInteger(i) || i < 0 || i >= entries.length || typeof label !== 'string') return undefined;
		labels[i] = label;
	}
	return labels;
}
