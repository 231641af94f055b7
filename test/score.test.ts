/** `lmscope score` as a user runs it (SacreBLEU's README example: BLEU 48.53, chrF2 59.73). */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {describe, it} from 'node:test';
import {runCli, tempDir} from './helpers.js';

const dir = tempDir('score');
const hyp = 'The dog bit the man.\nIt wasn\'t surprising.\nThe man had just bitten him.\n';
fs.writeFileSync(path.join(dir, 'ref1.txt'), 'The dog bit the man.\nIt was not unexpected.\nThe man bit him first.\n');
fs.writeFileSync(path.join(dir, 'ref2.txt'), 'The dog had bit the man.\nNo one was surprised.\nThe man had bitten the dog.\n');
fs.writeFileSync(path.join(dir, 'short.txt'), 'one line\n');
const refs = ['--ref', path.join(dir, 'ref1.txt'), '--ref', path.join(dir, 'ref2.txt')];

describe('lmscope score', () => {
	it('prints each metric with its signature, like sacrebleu', () => {
		const {code, stdout, stderr} = runCli(['score', ...refs], {input: hyp});
		assert.equal(code, 0, stderr);
		assert.match(stdout, /^BLEU\|nrefs:2\|case:mixed\|eff:no\|tok:13a\|smooth:exp\|version:sacrebleu-2-compatible = 48\.53 82\.4\/50\.0\/45\.5\/37\.5 \(BP = 0\.943 ratio = 0\.944 hyp_len = 17 ref_len = 18\)$/m);
		assert.match(stdout, /^chrF2\|nrefs:2\|.* = 59\.73$/m);
		assert.match(stdout, /^ROUGE-Lsum\|nrefs:2\|tok:rouge-score\|stem:no/m);
	});
	it('--json has every metric and per-segment scores', () => {
		const {stdout} = runCli(['score', ...refs, '--metrics', 'bleu,rouge1,em,f1', '--json'], {input: hyp});
		const json = JSON.parse(stdout);
		assert.deepEqual(json.results.map((r: {metric: string}) => r.metric), ['bleu', 'rouge1', 'em', 'f1']);
		assert.equal(json.results[2].segments.length, 3);
		assert.equal(json.results[2].score, 1 / 3);
	});
	it('bad input: no --ref, a reference of the wrong length, an unknown metric, invalid UTF-8', () => {
		for (const [args, input, mention] of [
			[['score'], hyp, '--ref'],
			[['score', '--ref', path.join(dir, 'short.txt')], hyp, 'has 1 lines but stdin has 3'],
			[['score', ...refs, '--metrics', 'bleu,meteor'], hyp, 'unknown metric "meteor"'],
			[['score', ...refs, '--tokenize', 'moses'], hyp, '--tokenize'],
			[['score', ...refs], Buffer.from([0x61, 0x0a, 0xff, 0x0a, 0x62, 0x0a]), 'stdin is not valid UTF-8 (bad byte 0xff at offset 2)'],
		] as const) {
			const result = runCli([...args], {input});
			assert.equal(result.code, 2);
			assert.ok(result.stderr.includes(mention), result.stderr);
			assert.equal(result.stderr.trim().split('\n').length, 1);
		}
	});
});
