/**
 * The Llama family (RMSNorm, rotary position embedding, grouped-query attention with 2 key/value
 * heads for 4 query heads, SwiGLU MLP, untied unembedding), exported by torch like Optimum does:
 * a tiny random-weight model made by models/llama_tiny.py, with golden internals from PyTorch.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import {before, describe, it} from 'node:test';
import {LanguageModel} from '../source/model/languageModel.js';
import {resolveModel} from '../source/model/resolve.js';
import {WANT_ALL, type Trace} from '../source/model/trace.js';
import {ROOT} from './helpers.js';
import {assertInternalsMatch, assertLensMatches, assertSteppingMatches, llamaGolden} from './llamaGolden.js';

const DIR = path.join(ROOT, 'test', 'fixtures', 'llama-tiny');

describe('Llama-style export (RMSNorm, rotary, GQA, SwiGLU)', () => {
	let model: LanguageModel;
	let trace: Trace;
	before(async () => {
		model = await LanguageModel.load(resolveModel(DIR));
		trace = await model.forward(llamaGolden.ids, WANT_ALL);
	});

	it('finds every layer by structure', () => {
		assert.equal(model.info.layers, 2);
		assert.equal(trace.heads, 4, 'probabilities come per query head, after the key/value heads are repeated');
		assert.deepEqual(model.map.sources, {attention: 'structure', residual: 'structure', mlp: 'structure'});
		assert.match(model.map.layers[0]!.mlp, /mlp\/Mul_1/, 'the SwiGLU product silu(gate) * up');
	});

	it('attention, residual stream, MLP activation and logits equal PyTorch', () => {
		assertInternalsMatch(trace);
	});

	it('the logit lens (RMSNorm + untied unembedding) equals PyTorch', () => assertLensMatches(model, trace));

	it('KV-cache stepping (rotary positions, grouped key/value cache) equals the full pass', () => assertSteppingMatches(model));
});
