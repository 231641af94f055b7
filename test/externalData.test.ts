/** Weights in an external-data file next to the graph (model.onnx + model.onnx.data). */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {describe, it} from 'node:test';
import {create} from '@bufbuild/protobuf';
import {StringStringEntryProtoSchema} from 'onnx-buf';
import {parseModel, serializeModel} from '../source/model/onnxGraph.js';
import {DEFAULT_MODEL, goldens, runCli, tempDir} from './helpers.js';

/** The default model re-saved with every initializer over 1 KB in model.onnx.data. */
function externalCopy(): string {
	const dir = tempDir('external');
	const proto = parseModel(fs.readFileSync(path.join(DEFAULT_MODEL, 'model.onnx')), 'model.onnx');
	const chunks: Buffer[] = [];
	let offset = 0;
	for (const tensor of proto.graph!.initializer) {
		if (tensor.rawData.length < 1024) continue;
		const bytes = Buffer.from(tensor.rawData);
		chunks.push(bytes);
		tensor.externalData = [
			create(StringStringEntryProtoSchema, {key: 'location', value: 'model.onnx.data'}),
			create(StringStringEntryProtoSchema, {key: 'offset', value: String(offset)}),
			create(StringStringEntryProtoSchema, {key: 'length', value: String(bytes.length)}),
		];
		tensor.dataLocation = 1;
		tensor.rawData = new Uint8Array(0);
		offset += bytes.length;
	}
	fs.writeFileSync(path.join(dir, 'model.onnx'), serializeModel(proto));
	fs.writeFileSync(path.join(dir, 'model.onnx.data'), Buffer.concat(chunks));
	for (const f of ['tokenizer.json', 'tokenizer_config.json', 'config.json']) fs.copyFileSync(path.join(DEFAULT_MODEL, f), path.join(dir, f));
	return dir;
}

describe('external data', () => {
	it('runs a model whose weights live in model.onnx.data, with the same results', () => {
		const dir = externalCopy();
		assert.ok(fs.statSync(path.join(dir, 'model.onnx')).size < 200_000, 'the graph file holds no large weights');
		const golden = goldens()[0]!;
		const result = runCli(['trace', golden.prompt, '--model', dir, '--json']);
		assert.equal(result.code, 0, result.stderr);
		assert.deepEqual(JSON.parse(result.stdout).next.map((c: {id: number}) => c.id), golden.logits_top5.at(-1)!.ids);
	});

	it('a missing or short data file is a clear error', () => {
		const dir = externalCopy();
		const data = path.join(dir, 'model.onnx.data');
		fs.truncateSync(data, 1000);
		const short = runCli(['trace', 'the', '--model', dir]);
		assert.equal(short.code, 2);
		assert.match(short.stderr, /model\.onnx\.data is shorter than .* the download may be incomplete/);
		fs.rmSync(data);
		const missing = runCli(['trace', 'the', '--model', dir]);
		assert.equal(missing.code, 2);
		assert.match(missing.stderr, /keeps weights in model\.onnx\.data, which cannot be read/);
	});
});
