/**
 * A GPT built node by node in TypeScript (bench/syntheticGpt.ts, the graph the bench uses at
 * GPT-2-small size): discovery must work on graphs that never went through torch's exporter.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {describe, it} from 'node:test';
import {buildGpt} from '../bench/syntheticGpt.js';
import {LanguageModel} from '../source/model/languageModel.js';
import {serializeModel} from '../source/model/onnxGraph.js';
import {resolveModel} from '../source/model/resolve.js';
import {WANT_ALL, attentionRow} from '../source/model/trace.js';
import {DEFAULT_MODEL, tempDir} from './helpers.js';

describe('a graph built from scratch', () => {
	it('is discovered, runs, and its attention rows are causal distributions', async () => {
		const dir = tempDir('synthetic');
		fs.writeFileSync(path.join(dir, 'model.onnx'), serializeModel(buildGpt({layers: 3, heads: 2, width: 16, vocab: 2048, positions: 64, seed: 5})));
		const model = await LanguageModel.load(resolveModel(path.join(dir, 'model.onnx'), DEFAULT_MODEL));
		assert.equal(model.info.layers, 3);
		assert.equal(model.info.context, 64, 'from the learned position embedding');
		assert.match(model.map.layers[2]!.attention, /\/h\.2\/attn\/Softmax/);
		const ids = model.encode('And the king said unto them');
		const trace = await model.forward(ids, WANT_ALL);
		for (let l = 0; l < 3; l++) for (let h = 0; h < 2; h++) for (let q = 0; q < ids.length; q++) {
			const row = attentionRow(trace, l, h, q);
			assert.ok(Math.abs(row.subarray(0, q + 1).reduce((a, b) => a + b, 0) - 1) < 1e-5);
			assert.ok(row.subarray(q + 1).every(v => v === 0), 'no attention to later tokens');
		}
	});
});
