/** `lmscope ratings summary [PATH]`: means per axis and model, agreement between raters. */
import fs from 'node:fs';
import {UserError} from '../errors.js';
import {DEFAULT_RATINGS_PATH, readRatings} from '../ratings/ratingStore.js';
import {formatSummary, summarizeRatings} from '../ratings/summary.js';

export function ratingsCommand(args: string[], json: boolean): string {
	const [sub, file = DEFAULT_RATINGS_PATH, ...extra] = args;
	if (sub !== 'summary' || extra.length > 0) {
		throw new UserError('usage: lmscope ratings summary [PATH] [--json] (PATH defaults to .lmscope/ratings.jsonl)');
	}
	if (!fs.existsSync(file)) {
		throw new UserError(`no ratings file ${file}: rate outputs in the inspector (r) first, or give the file's path`);
	}
	const {ratings, problems} = readRatings(file);
	const summary = summarizeRatings(ratings);
	return json ? JSON.stringify({file, summary, problems}, null, 2) : formatSummary(file, summary, problems);
}
