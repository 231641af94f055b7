/** `lmscope score --ref REF [--ref MORE ...] [--metrics ...] [--json] < HYP`: score one segment a line. */
import {formatMetric, parseMetrics, scoreCorpus, DEFAULT_METRICS, type ScoreOptions} from '../analysis/metrics/corpus.js';
import type {BleuTokenizer} from '../analysis/metrics/bleuTokenizers.js';
import {UserError} from '../errors.js';
import {decodeUtf8, readTextFile} from './promptInput.js';

export interface ScoreFlags {
	ref: string[];
	metrics?: string;
	tokenize?: string;
	lowercase: boolean;
	stem: boolean;
	json: boolean;
}

/** Lines of a text file; a final newline does not make an extra segment. */
export function segments(text: string): string[] {
	const lines = text.split(/\r?\n/);
	if (lines.at(-1) === '') lines.pop();
	return lines;
}

export function scoreCommand(hypothesisText: string, flags: ScoreFlags): string {
	if (flags.ref.length === 0) throw new UserError('score needs at least one --ref FILE (one reference segment a line, as many lines as the hypotheses on stdin)');
	const tokenize = (flags.tokenize ?? '13a') as BleuTokenizer;
	if (!['13a', 'intl', 'char', 'none'].includes(tokenize)) throw new UserError(`--tokenize must be 13a, intl, char or none, got ${flags.tokenize}`);
	let metrics = DEFAULT_METRICS;
	if (flags.metrics !== undefined) {
		try {
			metrics = parseMetrics(flags.metrics);
		} catch (error) {
			throw new UserError(`--metrics: ${(error as Error).message}`);
		}
	}
	const hypotheses = segments(hypothesisText);
	const references = flags.ref.map(file => {
		const lines = segments(readTextFile(file, '--ref'));
		if (lines.length !== hypotheses.length) {
			throw new UserError(`--ref ${file} has ${lines.length} lines but stdin has ${hypotheses.length} hypotheses: give one reference a line for every hypothesis`);
		}
		return lines;
	});
	const options: ScoreOptions = {tokenize, lowercase: flags.lowercase, stem: flags.stem};
	const results = scoreCorpus(hypotheses, references, metrics, options);
	if (flags.json) return JSON.stringify({segments: hypotheses.length, references: flags.ref, results}, null, 2);
	return results.map(formatMetric).join('\n');
}

export async function readStdin(): Promise<string> {
	if (process.stdin.isTTY) throw new UserError('score reads the hypotheses from stdin: lmscope score --ref REF_FILE < HYP_FILE');
	const chunks: Buffer[] = [];
	for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
	return decodeUtf8(Buffer.concat(chunks), 'stdin');
}
