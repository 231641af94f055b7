/** Ratings: durable appends, torn lines, summaries with agreement. */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {describe, it} from 'node:test';
import {appendRating, readRatings, type Rating} from '../source/ratings/ratingStore.js';
import {formatSummary, summarizeRatings} from '../source/ratings/summary.js';
import {ROOT, runCli, tempDir} from './helpers.js';

function rating(overrides: Partial<Rating> = {}): Rating {
	return {version: 1, time: '2026-12-04T00:00:00.000Z', rater: 'ann', model: 'default', prompt: 'The king said', output: ' unto him', settings: {temperature: 0}, fluency: 4, grammar: 5, logic: 3, note: '', ...overrides};
}

describe('rating store', () => {
	it('appends and reads back, creating the folder', async () => {
		const file = path.join(tempDir('ratings'), 'deep', 'r.jsonl');
		await appendRating(file, rating());
		await appendRating(file, rating({rater: 'bob', note: 'repeats itself ✓'}));
		const {ratings, problems} = readRatings(file);
		assert.deepEqual(problems, []);
		assert.deepEqual(ratings.map(r => r.rater), ['ann', 'bob']);
		assert.equal(ratings[1]!.note, 'repeats itself ✓');
	});

	it('refuses an out-of-range rating', async () => {
		const file = path.join(tempDir('ratings'), 'r.jsonl');
		await assert.rejects(appendRating(file, rating({fluency: 6})), /"fluency" must be a whole number from 1 to 5/);
		assert.equal(fs.existsSync(file), false);
	});

	it('a torn last line is reported and skipped, earlier lines kept, and the next append is intact', async () => {
		const file = path.join(tempDir('ratings'), 'r.jsonl');
		await appendRating(file, rating());
		fs.appendFileSync(file, JSON.stringify(rating({rater: 'torn'})).slice(0, 40));
		let read = readRatings(file);
		assert.equal(read.ratings.length, 1);
		assert.deepEqual(read.problems, [{line: 2, reason: 'torn last line (a writer was killed mid-write): skipped'}]);
		await appendRating(file, rating({rater: 'after'}));
		read = readRatings(file);
		assert.deepEqual(read.ratings.map(r => r.rater), ['ann', 'after']);
		assert.deepEqual(read.problems.map(p => p.line), [2]);
	});

	it('every acknowledged rating survives SIGKILL in the middle of writes', async () => {
		const file = path.join(tempDir('ratings-kill'), 'r.jsonl');
		const script = path.join(path.dirname(file), 'writer.mts');
		// Long notes make each write take a while, so the kill lands mid-write some of the time.
		fs.writeFileSync(script, `import {appendRating} from ${JSON.stringify(path.join(ROOT, 'source/ratings/ratingStore.ts'))};
for (let i = 0; ; i++) {
	await appendRating(${JSON.stringify(file)}, {version: 1, time: new Date().toISOString(), rater: 'r' + i, model: 'm', prompt: 'p', output: 'o', settings: {}, fluency: 1 + (i % 5), grammar: 3, logic: 3, note: 'x'.repeat(200000)});
	process.stdout.write('ack ' + i + '\\n');
}
`);
		for (let round = 0; round < 3; round++) {
			const child = spawn(process.execPath, ['--import', 'tsx', script], {cwd: ROOT});
			let acked = -1;
			let out = '';
			child.stdout.setEncoding('utf8');
			let stderr = '';
			child.stderr.setEncoding('utf8');
			child.stderr.on('data', chunk => (stderr += chunk));
			const exited = new Promise(resolve => child.on('exit', resolve));
			await new Promise<void>(resolve => {
				void exited.then(() => resolve());
				child.stdout.on('data', chunk => {
					out += chunk;
					const acks = [...out.matchAll(/ack (\d+)/g)];
					acked = Number(acks.at(-1)?.[1] ?? -1);
					if (acked >= 3 + round * 2) {
						// Kill at a random moment during the next writes.
						setTimeout(() => child.kill('SIGKILL'), Math.random() * 15);
						resolve();
					}
				});
			});
			await exited;
			assert.ok(acked >= 0, `the writer ran (stderr: ${stderr})`);
			const acks = [...out.matchAll(/ack (\d+)/g)].map(m => Number(m[1]));
			const {ratings} = readRatings(file);
			const raters = new Set(ratings.map(r => r.rater));
			for (const i of acks) assert.ok(raters.has(`r${i}`), `round ${round}: acknowledged rating r${i} is on disk`);
		}
	});
});

describe('ratings summary', () => {
	it('means per axis and model, and ordinal alpha for items rated by two or more raters', () => {
		const ratings = [
			rating({rater: 'ann', output: 'a', fluency: 5, grammar: 4, logic: 2}),
			rating({rater: 'bob', output: 'a', fluency: 4, grammar: 4, logic: 1}),
			rating({rater: 'ann', output: 'b', fluency: 2, grammar: 1, logic: 5}),
			rating({rater: 'bob', output: 'b', fluency: 1, grammar: 2, logic: 5}),
			rating({rater: 'ann', output: 'c', fluency: 3, grammar: 3, logic: 3, model: 'other'}),
			// A later rating by the same rater of the same item replaces the earlier one.
			rating({rater: 'bob', output: 'a', fluency: 5, grammar: 4, logic: 1}),
		];
		const summary = summarizeRatings(ratings);
		assert.equal(summary.ratings, 5);
		assert.deepEqual(summary.raters, ['ann', 'bob']);
		const d = summary.models.find(m => m.model === 'default')!;
		assert.deepEqual(d.means, {fluency: (5 + 5 + 2 + 1) / 4, grammar: (4 + 4 + 1 + 2) / 4, logic: (2 + 1 + 5 + 5) / 4});
		assert.equal(summary.agreement!.items, 2);
		// Worked by hand: each axis has one agreeing and one adjacent-disagreeing item: alpha = 1 - 3 * 2 / 36.
		assert.equal(summary.agreement!.alpha.fluency!.toFixed(3), '0.833');
		assert.equal(summary.agreement!.alpha.grammar!.toFixed(3), '0.833');
		assert.equal(summary.agreement!.alpha.logic!.toFixed(3), '0.833');
		assert.match(formatSummary('r.jsonl', summary, []), /agreement \(Krippendorff's alpha, ordinal\) over 2 items/);
	});

	it('`lmscope ratings summary` prints the table, reports torn lines, and --json', async () => {
		const file = path.join(tempDir('ratings-cli'), 'r.jsonl');
		await appendRating(file, rating());
		await appendRating(file, rating({rater: 'bob', fluency: 2}));
		fs.appendFileSync(file, '{"torn": ');
		const result = runCli(['ratings', 'summary', file]);
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /2 ratings by 2 raters \(ann, bob\)/);
		assert.match(result.stdout, /line 3: torn last line/);
		assert.match(result.stdout, /default\s+2\s+3\.00\s+5\.00\s+3\.00/);
		const json = JSON.parse(runCli(['ratings', 'summary', file, '--json']).stdout);
		assert.equal(json.summary.models[0].means.fluency, 3);
		assert.equal(json.problems[0].line, 3);
	});

	it('a missing ratings file is an error naming it', () => {
		const result = runCli(['ratings', 'summary', '/nonexistent/r.jsonl']);
		assert.equal(result.code, 2);
		assert.match(result.stderr, /^lmscope: no ratings file \/nonexistent\/r\.jsonl/);
	});
});
