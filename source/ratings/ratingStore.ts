/**
 * Human ratings, appended to a JSONL file one rating a line. A rating is acknowledged only after
 * its line has been written and fsync'd, so a process killed at any moment keeps every
 * acknowledged rating. A killed writer can leave a torn last line: readers report and skip it, and
 * the next append starts on a fresh line so the torn fragment never swallows a good record.
 */
import fs from 'node:fs';
import path from 'node:path';
import {UserError, firstLine} from '../errors.js';

export const AXES = ['fluency', 'grammar', 'logic'] as const;
export type Axis = (typeof AXES)[number];

export interface Rating {
	version: 1;
	time: string;
	rater: string;
	model: string;
	prompt: string;
	output: string;
	settings: Record<string, number>;
	fluency: number;
	grammar: number;
	logic: number;
	note: string;
}

export interface RatingProblem {
	line: number;
	reason: string;
}

export interface RatingsFile {
	ratings: Rating[];
	problems: RatingProblem[];
}

export const DEFAULT_RATINGS_PATH = path.join('.lmscope', 'ratings.jsonl');

export function validateRating(value: unknown): string | undefined {
	if (typeof value !== 'object' || value === null) return 'not a JSON object';
	const r = value as Record<string, unknown>;
	for (const axis of AXES) {
		const v = r[axis];
		if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 5) return `"${axis}" must be a whole number from 1 to 5`;
	}
	for (const field of ['rater', 'model', 'prompt', 'output', 'time'] as const) {
		if (typeof r[field] !== 'string') return `"${field}" must be a string`;
	}
	return undefined;
}

/** Append one rating durably: the returned promise resolves only once it is on disk. */
export async function appendRating(file: string, rating: Rating): Promise<void> {
	const problem = validateRating(rating);
	if (problem) throw new UserError(`rating not saved: ${problem}`);
	try {
		await fs.promises.mkdir(path.dirname(path.resolve(file)), {recursive: true});
		const handle = await fs.promises.open(file, 'a+');
		try {
			// A torn last line (no newline) from a killed writer: start ours on a line of its own.
			const {size} = await handle.stat();
			let prefix = '';
			if (size > 0) {
				const last = Buffer.alloc(1);
				await handle.read(last, 0, 1, size - 1);
				if (last[0] !== 0x0a) prefix = '\n';
			}
			await handle.write(`${prefix}${JSON.stringify(rating)}\n`);
			await handle.sync();
		} finally {
			await handle.close();
		}
		// A new file's directory entry must be durable too.
		const dir = await fs.promises.open(path.dirname(path.resolve(file)), 'r');
		try {
			await dir.sync();
		} finally {
			await dir.close();
		}
	} catch (error) {
		if (error instanceof UserError) throw error;
		throw new UserError(`cannot write ratings file ${file} (${firstLine(error)}): check the path and permissions (--ratings PATH)`);
	}
}

/** Every valid rating in the file, and a problem for each line that is not one. A missing file is empty. */
export function readRatings(file: string): RatingsFile {
	let text: string;
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {ratings: [], problems: []};
		throw new UserError(`cannot read ratings file ${file} (${firstLine(error)}): check the path`);
	}
	const ratings: Rating[] = [];
	const problems: RatingProblem[] = [];
	const lines = text.split('\n');
	lines.forEach((line, i) => {
		if (line.trim() === '') return;
		const torn = i === lines.length - 1; // no newline after it: the writer died mid-line
		let value: unknown;
		try {
			value = JSON.parse(line);
		} catch {
			problems.push({line: i + 1, reason: torn ? 'torn last line (a writer was killed mid-write): skipped' : 'not valid JSON: skipped'});
			return;
		}
		const problem = validateRating(value);
		if (problem) problems.push({line: i + 1, reason: `${problem}: skipped`});
		else ratings.push(value as Rating);
	});
	return {ratings, problems};
}
