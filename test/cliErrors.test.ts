/**
 * Bad input never shows a stack trace: one line on stderr naming the file or argument and the fix,
 * exit code 2. Runs the built CLI as a user would.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {before, describe, it} from 'node:test';
import {DEFAULT_MODEL, runCli, tempDir, type CliResult} from './helpers.js';

function assertUserError(result: CliResult, ...mustMention: string[]): void {
	assert.equal(result.code, 2, `exit code 2 expected; stderr: ${result.stderr}`);
	const lines = result.stderr.trimEnd().split('\n');
	assert.equal(lines.length, 1, `one line expected, got:\n${result.stderr}`);
	assert.match(lines[0]!, /^lmscope: /);
	assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
	assert.equal(result.stdout, '');
	for (const text of mustMention) assert.ok(lines[0]!.includes(text), `"${text}" not in: ${lines[0]}`);
}

/** A model folder with the default model's files, some replaced. */
function modelFolder(name: string, replace: Record<string, Buffer | string | null>): string {
	const dir = path.join(tempDir(name), 'model');
	fs.mkdirSync(dir);
	for (const file of ['model.onnx', 'tokenizer.json', 'tokenizer_config.json', 'config.json']) {
		if (file in replace) {
			const content = replace[file];
			if (content !== null && content !== undefined) fs.writeFileSync(path.join(dir, file), content);
		} else {
			fs.copyFileSync(path.join(DEFAULT_MODEL, file), path.join(dir, file));
		}
	}
	return dir;
}

describe('bad input gives one line and exit code 2', () => {
	let onnx: Buffer;
	before(() => {
		onnx = fs.readFileSync(path.join(DEFAULT_MODEL, 'model.onnx'));
	});

	it('a missing model folder', () => {
		assertUserError(runCli(['trace', 'hello', '--model', '/nonexistent/model-dir']), '/nonexistent/model-dir', 'does not exist');
	});

	it('a folder without model.onnx', () => {
		const dir = modelFolder('no-onnx', {'model.onnx': null});
		assertUserError(runCli(['trace', 'hello', '--model', dir]), dir, 'model.onnx');
	});

	it('a folder without tokenizer files', () => {
		const dir = modelFolder('no-tokenizer', {'tokenizer.json': null, 'tokenizer_config.json': null});
		assertUserError(runCli(['trace', 'hello', '--model', dir]), path.join(dir, 'tokenizer.json'), 'missing');
	});

	it('a folder without tokenizer_config.json', () => {
		const dir = modelFolder('no-tokenizer-config', {'tokenizer_config.json': null});
		assertUserError(runCli(['trace', 'hello', '--model', dir]), 'tokenizer_config.json', 'missing');
	});

	it('a tokenizer.json that is not JSON', () => {
		const dir = modelFolder('bad-tokenizer', {'tokenizer.json': '{"version": "1.0", "model": {'});
		assertUserError(runCli(['trace', 'hello', '--model', dir]), 'tokenizer.json', 'not valid JSON');
	});

	it('a truncated .onnx', () => {
		const dir = modelFolder('truncated', {'model.onnx': onnx.subarray(0, Math.floor(onnx.length / 3))});
		assertUserError(runCli(['trace', 'hello', '--model', dir]), path.join(dir, 'model.onnx'));
	});

	it('a random .onnx', () => {
		const dir = modelFolder('random', {'model.onnx': crypto.randomBytes(4096)});
		assertUserError(runCli(['trace', 'hello', '--model', dir]), path.join(dir, 'model.onnx'));
	});

	it('an empty .onnx', () => {
		const dir = modelFolder('empty', {'model.onnx': Buffer.alloc(0)});
		assertUserError(runCli(['trace', 'hello', '--model', dir]), path.join(dir, 'model.onnx'));
	});

	it('a tokenizer whose vocabulary does not match the model embedding', () => {
		// The same tokenizer with every id moved past the model's 2,048-row embedding.
		const tokenizer = JSON.parse(fs.readFileSync(path.join(DEFAULT_MODEL, 'tokenizer.json'), 'utf8'));
		for (const key of Object.keys(tokenizer.model.vocab)) tokenizer.model.vocab[key] += 5000;
		for (const added of tokenizer.added_tokens) added.id += 5000;
		const dir = modelFolder('wrong-tokenizer', {'tokenizer.json': JSON.stringify(tokenizer)});
		assertUserError(runCli(['trace', 'the king', '--model', dir]), 'tokenizer.json', 'does not match', '2048');
	});

	it('a bare .onnx file without --tokenizer', () => {
		const dir = tempDir('bare');
		fs.writeFileSync(path.join(dir, 'm.onnx'), onnx);
		assertUserError(runCli(['trace', 'hello', '--model', path.join(dir, 'm.onnx')]), '--tokenizer');
	});

	it('an empty prompt', () => {
		assertUserError(runCli(['trace', '']), 'prompt is empty');
	});

	it('a prompt longer than the context', () => {
		const long = 'And the king said unto them, '.repeat(40);
		assertUserError(runCli(['trace', long]), 'at most 128', 'shorten');
	});

	it('invalid UTF-8 in a prompt file', () => {
		const file = path.join(tempDir('utf8'), 'prompt.txt');
		fs.writeFileSync(file, Buffer.from([0x54, 0x68, 0x65, 0x20, 0xc3, 0x28, 0x20, 0x6b]));
		assertUserError(runCli(['trace', '--prompt-file', file]), file, 'not valid UTF-8', 'offset 4');
	});

	it('a missing prompt file', () => {
		assertUserError(runCli(['trace', '--prompt-file', '/nonexistent/prompt.txt']), '/nonexistent/prompt.txt');
	});

	it('a flag out of range', () => {
		assertUserError(runCli(['generate', 'the', '--top-p', '2']), '--top-p');
		assertUserError(runCli(['generate', 'the', '--max-new-tokens', '0']), '--max-new-tokens');
		assertUserError(runCli(['generate', 'the', '--temperature', '-1']), '--temperature');
		assertUserError(runCli(['trace', 'the', '--top-k', '0']), '--top-k');
	});

	it('the inspector without a TTY points to trace and generate', () => {
		for (const args of [[], ['inspect', 'The king said'], ['The king said']]) {
			assertUserError(runCli(args), 'interactive terminal', 'lmscope trace', 'lmscope generate');
		}
	});

	it('a bad --break expression', () => {
		assertUserError(runCli(['inspect', 'x', '--break', 'sometimes']), '--break', 'not a breakpoint', 'p < 0.2');
	});

	it('--device: an unknown device, and cuda where its provider or a GPU is missing', () => {
		assertUserError(runCli(['trace', 'the', '--device', 'tpu']), '--device must be cpu or cuda');
		const cuda = runCli(['trace', 'the', '--device', 'cuda']);
		if (cuda.code === 0) return; // a machine with the CUDA provider and a GPU: it simply runs
		assertUserError(cuda, '--device cuda', 'ONNXRUNTIME_NODE_INSTALL=cuda12', '--device cpu');
	});

	it('a config.json that is not JSON', () => {
		const dir = modelFolder('bad-config', {'config.json': '{oops'});
		assertUserError(runCli(['trace', 'hello', '--model', dir]), 'config.json');
	});
});
