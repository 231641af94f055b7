/**
 * Evaluation data: JSONL (one JSON object a line), CSV (a header row; quotes and embedded
 * newlines handled by csv-parse) or plain text (one prompt a line). Malformed records are reported
 * by line number and skipped; the rest are used.
 */
import fs from 'node:fs';
import {parse} from 'csv-parse/sync';
import {decodeUtf8} from '../cli/promptInput.js';
import {UserError, firstLine} from '../errors.js';

export interface EvalItem {
	/** Position in the data (0-based), stable across runs: --resume keys on it. */
	index: number;
	/** Line number where the record starts (1-based). */
	line: number;
	prompt: string;
	references: string[];
	/** An output that already exists (--prediction-field). */
	prediction?: string;
}

export interface DataProblem {
	line: number;
	reason: string;
}

export interface Dataset {
	format: 'jsonl' | 'csv' | 'text';
	items: EvalItem[];
	problems: DataProblem[];
}

export interface DatasetFields {
	prompt: string;
	reference: string;
	prediction?: string;
}

export function datasetFormat(file: string): Dataset['format'] {
	if (/\.(jsonl|ndjson|json)$/i.test(file)) return 'jsonl';
	if (/\.csv$/i.test(file)) return 'csv';
	return 'text';
}

export function readDataset(file: string, fields: DatasetFields): Dataset {
	let bytes: Buffer;
	try {
		bytes = fs.readFileSync(file);
	} catch (error) {
		throw new UserError(`cannot read data file ${file} (${firstLine(error)}): check the path`);
	}
	const text = decodeUtf8(bytes, `data file ${file}`);
	const format = datasetFormat(file);
	const problems: DataProblem[] = [];
	const records: Array<{line: number; record: Record<string, unknown>}> = [];
	if (format === 'text') {
		text.split(/\r?\n/).forEach((line, i) => {
			if (line.trim()) records.push({line: i + 1, record: {[fields.prompt]: line}});
		});
	} else if (format === 'jsonl') {
		text.split(/\r?\n/).forEach((line, i) => {
			if (!line.trim()) return;
			try {
				const value = JSON.parse(line) as unknown;
				if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
				records.push({line: i + 1, record: value as Record<string, unknown>});
			} catch (error) {
				problems.push({line: i + 1, reason: `not a JSON object (${firstLine(error)})`});
			}
		});
	} else {
		const rows = parse(text, {
			columns: true,
			info: true,
			raw: true,
			skip_empty_lines: true,
			skip_records_with_error: true,
			on_skip: (error: {lines?: number; message: string} | undefined) => {
				if (error) problems.push({line: error.lines ?? 0, reason: `malformed CSV record (${firstLine(error)})`});
			},
		}) as Array<{record: Record<string, string>; info: {lines: number}; raw: string}>;
		for (const row of rows) {
			// info.lines is where the record ends; a quoted field may span several lines.
			const spanned = row.raw.replace(/\r?\n$/, '').split('\n').length - 1;
			records.push({line: row.info.lines - spanned, record: row.record});
		}
	}
	const items: EvalItem[] = [];
	for (const {line, record} of records) {
		const prompt = record[fields.prompt];
		if (typeof prompt !== 'string' || prompt === '') {
			problems.push({line, reason: `no "${fields.prompt}" text (set --prompt-field)`});
			continue;
		}
		const rawRef = record[fields.reference];
		const references = typeof rawRef === 'string' ? (rawRef ? [rawRef] : []) : Array.isArray(rawRef) && rawRef.every(r => typeof r === 'string') ? (rawRef as string[]) : [];
		if (rawRef !== undefined && references.length === 0 && rawRef !== '') {
			problems.push({line, reason: `"${fields.reference}" must be a string or a list of strings`});
			continue;
		}
		let prediction: string | undefined;
		if (fields.prediction) {
			const raw = record[fields.prediction];
			if (typeof raw !== 'string') {
				problems.push({line, reason: `no "${fields.prediction}" text (--prediction-field)`});
				continue;
			}
			prediction = raw;
		}
		items.push({index: items.length, line, prompt, references, prediction});
	}
	problems.sort((a, b) => a.line - b.line);
	return {format, items, problems};
}
