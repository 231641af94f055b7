/**
 * `lmscope eval`: every item of a dataset through evaluateItem, each result appended (and
 * fsync'd) to an items file as soon as it is done, so `--resume` picks up a killed run without
 * redoing finished items.
 */
import fs from 'node:fs';
import path from 'node:path';
import type {LanguageModel} from '../model/languageModel.js';
import {isUserError} from '../errors.js';
import type {Dataset, DataProblem} from './dataset.js';
import {evaluateItem, type ItemOptions, type ItemResult} from './evaluateItem.js';

export interface RunOptions extends ItemOptions {
	itemsFile: string;
	resume: boolean;
}

export interface Progress {
	done: number;
	total: number;
	/** Items done in this run (not resumed), and the seconds it has taken. */
	fresh: number;
	seconds: number;
}

/** Earlier results for the same items (same position and prompt), from an interrupted run. */
export function readItemsFile(file: string, dataset: Dataset): ItemResult[] {
	if (!fs.existsSync(file)) return [];
	const results: ItemResult[] = [];
	for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
		if (!line.trim()) continue;
		try {
			const r = JSON.parse(line) as ItemResult;
			if (dataset.items[r.index]?.prompt === r.prompt) results.push(r);
		} catch {
			// A line torn by the kill that interrupted the run: that item is simply redone.
		}
	}
	return results;
}

export async function runEval(dataset: Dataset, model: LanguageModel | undefined, options: RunOptions, onProgress: (p: Progress) => void): Promise<{results: ItemResult[]; problems: DataProblem[]; resumed: number}> {
	const problems = [...dataset.problems];
	fs.mkdirSync(path.dirname(path.resolve(options.itemsFile)), {recursive: true});
	const earlier = options.resume ? readItemsFile(options.itemsFile, dataset) : [];
	if (!options.resume) fs.writeFileSync(options.itemsFile, '');
	const byIndex = new Map(earlier.map(r => [r.index, r]));
	const fd = fs.openSync(options.itemsFile, 'a');
	const start = performance.now();
	let fresh = 0;
	try {
		// A torn last line from the interrupted run must not swallow the next result.
		if (fs.fstatSync(fd).size > 0 && !fs.readFileSync(options.itemsFile, 'utf8').endsWith('\n')) fs.writeSync(fd, '\n');
		for (const item of dataset.items) {
			if (!byIndex.has(item.index)) {
				try {
					const result = await evaluateItem(item, model, options);
					fs.writeSync(fd, `${JSON.stringify(result)}\n`);
					fs.fsyncSync(fd);
					byIndex.set(item.index, result);
				} catch (error) {
					if (!isUserError(error)) throw error;
					problems.push({line: item.line, reason: error.message});
				}
				fresh++;
			}
			onProgress({done: byIndex.size + problems.length - dataset.problems.length, total: dataset.items.length, fresh, seconds: (performance.now() - start) / 1000});
		}
	} finally {
		fs.closeSync(fd);
	}
	problems.sort((a, b) => a.line - b.line);
	return {results: [...byIndex.values()].sort((a, b) => a.index - b.index), problems, resumed: earlier.length};
}
