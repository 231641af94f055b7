/** `lmscope eval`: data formats, malformed records, generation, metrics, resume, gating. */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {describe, it} from 'node:test';
import {scoreCorpus} from '../source/analysis/metrics/corpus.js';
import {readDataset} from '../source/eval/dataset.js';
import {referenceNll} from '../source/eval/evaluateItem.js';
import {generate} from '../source/model/generate.js';
import {GREEDY} from '../source/model/sampling.js';
import {ROOT, defaultModel, goldens, runCli, tempDir} from './helpers.js';

const fields = {prompt: 'prompt', reference: 'reference'};

describe('eval data', () => {
	it('CSV: quotes, commas and newlines inside fields, escaped quotes, a malformed record skipped by line', () => {
		const file = path.join(tempDir('csv'), 'data.csv');
		fs.writeFileSync(file, ['prompt,reference', '"And the king said, ""Go""","unto them"', '"a prompt over', 'two lines",ref', 'x,y,z', 'plain,"also, fine"', ''].join('\n'));
		const data = readDataset(file, fields);
		assert.deepEqual(data.items.map(i => [i.line, i.prompt, i.references]), [
			[2, 'And the king said, "Go"', ['unto them']],
			[3, 'a prompt over\ntwo lines', ['ref']],
			[6, 'plain', ['also, fine']],
		]);
		assert.equal(data.problems.length, 1);
		assert.equal(data.problems[0]!.line, 5);
		assert.match(data.problems[0]!.reason, /malformed CSV record/);
	});

	it('JSONL: malformed lines and missing fields reported by line; references as a string or a list', () => {
		const file = path.join(tempDir('jsonl'), 'data.jsonl');
		fs.writeFileSync(file, ['{"prompt": "a", "reference": "b"}', '{"prompt": "c", "reference": ["d", "e"]}', '{"prompt": ', '[1, 2]', '{"text": "no prompt"}', '{"prompt": "f", "reference": 3}', ''].join('\n'));
		const data = readDataset(file, fields);
		assert.deepEqual(data.items.map(i => i.references), [['b'], ['d', 'e']]);
		assert.deepEqual(data.problems.map(p => p.line), [3, 4, 5, 6]);
	});

	it('text: one prompt a line, blank lines ignored', () => {
		const file = path.join(tempDir('txt'), 'prompts.txt');
		fs.writeFileSync(file, 'In the beginning\n\nAnd the king said\n');
		assert.deepEqual(readDataset(file, fields).items.map(i => [i.line, i.prompt, i.references]), [[1, 'In the beginning', []], [3, 'And the king said', []]]);
	});

	it('invalid UTF-8 in the data file is one clear error', () => {
		const file = path.join(tempDir('utf8'), 'data.txt');
		fs.writeFileSync(file, Buffer.from([0x61, 0x0a, 0xc3, 0x28]));
		const result = runCli(['eval', file]);
		assert.equal(result.code, 2);
		assert.match(result.stderr, /data file .* is not valid UTF-8 \(bad byte 0xc3 at offset 2\)/);
	});
});

describe('lmscope eval', () => {
	const golden = goldens();

	it('generates greedily (as PyTorch does), scores like lmscope score, and writes everything to --json', async () => {
		const dir = tempDir('eval');
		const model = await defaultModel();
		const references = ['and the earth.', 'Speak unto the children of Israel.', 'is come.'];
		fs.writeFileSync(path.join(dir, 'data.jsonl'), golden.map((g, i) => JSON.stringify({prompt: g.prompt, reference: references[i]})).join('\n') + '\n{broken\n');
		const result = runCli(['eval', 'data.jsonl', '--max-new-tokens', '12', '--metrics', 'bleu,chrf,rouge,em,f1', '--json', 'out.json'], {cwd: dir});
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /3 items scored, 1 skipped/);
		assert.match(result.stdout, /skipped line 4: not a JSON object/);
		assert.match(result.stdout, /BLEU\s+[\d.]+\s+\[[\d.]+, [\d.]+\]\s+3/);
		assert.match(result.stderr, /eval: 3\/3 items/);
		const report = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8'));
		report.items.forEach((item: {output: string}, i: number) => {
			const g = golden[i]!;
			const eos = g.greedy_ids.indexOf(model.eosTokenId!);
			assert.equal(item.output, model.tokenizer.decode(eos < 0 ? g.greedy_ids : g.greedy_ids.slice(0, eos)), 'greedy output equals PyTorch greedy decoding');
		});
		const outputs = report.items.map((i: {output: string}) => i.output);
		const expected = scoreCorpus(outputs, [references], ['bleu', 'chrf', 'rouge1', 'em', 'f1']);
		for (const e of expected) {
			const s = report.summaries.find((x: {metric: string}) => x.metric === e.metric);
			assert.ok(Math.abs(s.score - e.score) < 1e-9, `${e.metric}: ${s.score} vs ${e.score}`);
			assert.ok(s.low <= s.score + 1e-9 && s.score <= s.high + 1e-9, `${e.metric}: the CI contains the estimate`);
		}
		assert.ok(report.summaries.some((s: {metric: string}) => s.metric === 'perplexity'));
		assert.ok(Array.isArray(report.items[0].findings));
	});

	it('perplexity of a reference equals the probabilities the model gave it while generating', async () => {
		const model = await defaultModel();
		const g = golden[0]!;
		const probabilities: number[] = [];
		const ids: number[] = [];
		for await (const t of generate(model, g.ids, {maxNewTokens: 6, sampling: GREEDY, stopAtEos: false})) {
			probabilities.push(t.probability);
			ids.push(t.id);
		}
		const reference = model.tokenizer.decode(ids);
		const {nll, tokens} = await referenceNll(model, g.prompt, reference);
		assert.equal(tokens, ids.length);
		const expected = -probabilities.reduce((s, p) => s + Math.log(p), 0);
		assert.ok(Math.abs(nll - expected) < 1e-4, `${nll} vs ${expected}`);
	});

	it('--low-probability and --high-entropy set the confidence thresholds', () => {
		const dir = tempDir('thresholds');
		fs.writeFileSync(path.join(dir, 'prompts.txt'), 'And the king said unto\nIn the beginning\n');
		const strict = runCli(['eval', 'prompts.txt', '--max-new-tokens', '10', '--low-probability', '0.99', '--high-entropy', '0.01'], {cwd: dir});
		assert.equal(strict.code, 0, strict.stderr);
		assert.match(strict.stdout, /low-confidence \d+ \(in 2 items\)/);
		assert.match(strict.stdout, /high-entropy \d+ \(in 2 items\)/);
		const loose = runCli(['eval', 'prompts.txt', '--max-new-tokens', '10', '--low-probability', '0.0000001', '--high-entropy', '100'], {cwd: dir});
		assert.doesNotMatch(loose.stdout, /low-confidence|high-entropy/);
		assert.equal(runCli(['eval', 'prompts.txt', '--low-probability', '2'], {cwd: dir}).code, 2);
	});

	it('--prediction-field scores given outputs with no model, and --fail-under gates', () => {
		const dir = tempDir('pred');
		fs.writeFileSync(path.join(dir, 'data.csv'), 'question,answer,system\nWho?,Moses,Moses\nWhere?,Mount Sinai,the mount\nWhen?,forty days,"forty days, forty nights"\n');
		const args = ['eval', 'data.csv', '--prompt-field', 'question', '--reference-field', 'answer', '--prediction-field', 'system', '--metrics', 'em,f1'];
		const pass = runCli([...args, '--fail-under', 'em=0.3'], {cwd: dir});
		assert.equal(pass.code, 0, pass.stderr);
		assert.match(pass.stdout, /predictions from "system"/);
		assert.match(pass.stdout, /EM\s+0\.3333/);
		const fail = runCli([...args, '--fail-under', 'em=0.5', '--fail-under', 'f1=0.1'], {cwd: dir});
		assert.equal(fail.code, 1);
		assert.match(fail.stdout, /fail-under: em 0\.3333 < 0\.5/);
		assert.doesNotMatch(fail.stdout, /fail-under: f1/);
		const bad = runCli([...args, '--fail-under', 'meteor=1'], {cwd: dir});
		assert.equal(bad.code, 2);
	});

	it('--resume continues a run killed with SIGKILL without redoing finished items', async () => {
		const dir = tempDir('resume');
		const prompts = Array.from({length: 40}, (_, i) => ({prompt: `And the king said unto him number ${i},`, reference: 'Go in peace.'}));
		fs.writeFileSync(path.join(dir, 'data.jsonl'), prompts.map(p => JSON.stringify(p)).join('\n'));
		const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'eval', 'data.jsonl', '--max-new-tokens', '30', '--json', 'out.json'], {cwd: dir});
		child.stderr.setEncoding('utf8');
		let stderr = '';
		await new Promise<void>(resolve => {
			child.stderr.on('data', chunk => {
				stderr += chunk;
				const done = Number([...stderr.matchAll(/eval: (\d+)\/40/g)].at(-1)?.[1] ?? 0);
				if (done >= 8) {
					child.kill('SIGKILL');
					resolve();
				}
			});
			child.on('exit', () => resolve());
		});
		await new Promise(resolve => child.on('exit', resolve));
		const itemsFile = path.join(dir, 'out.json.items.jsonl');
		const finished = fs.readFileSync(itemsFile, 'utf8').split('\n').filter(l => l.trim()).length;
		assert.ok(finished >= 8 && finished < 40, `killed after ${finished} items`);
		// Mark one finished item: if resume redid it, the mark would be gone.
		const lines = fs.readFileSync(itemsFile, 'utf8').split('\n');
		const first = JSON.parse(lines[0]!);
		first.output = 'MARK';
		lines[0] = JSON.stringify(first);
		fs.writeFileSync(itemsFile, lines.join('\n'));
		const resumed = runCli(['eval', 'data.jsonl', '--max-new-tokens', '30', '--json', 'out.json', '--resume'], {cwd: dir});
		assert.equal(resumed.code, 0, resumed.stderr);
		assert.match(resumed.stdout, /40 items scored \(\d+ resumed/);
		const report = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8'));
		assert.equal(report.items.length, 40);
		assert.equal(report.items[0].output, 'MARK', 'a finished item was not redone');
		assert.deepEqual(report.items.map((i: {index: number}) => i.index), Array.from({length: 40}, (_, i) => i));
	});
});
