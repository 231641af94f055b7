/**
 * Graph discovery on the default model: by structure (also with every name scrubbed, as some
 * exporters leave them), the manifest override, and what `lmscope graph` prints.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {describe, it} from 'node:test';
import {create} from '@bufbuild/protobuf';
import {GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, ValueInfoProtoSchema} from 'onnx-buf';
import {discoverGraph, layerFromName} from '../source/model/discover.js';
import {loadGraph} from '../source/model/loadGraph.js';
import {GraphIndex, parseModel, type ModelProto} from '../source/model/onnxGraph.js';
import {DEFAULT_MODEL, runCli, tempDir} from './helpers.js';

const ONNX = path.join(DEFAULT_MODEL, 'model.onnx');

function defaultProto(): ModelProto {
	return parseModel(fs.readFileSync(ONNX), ONNX);
}

/** Rename every intermediate tensor to t0, t1, ... and clear node names; returns the renaming. */
function scrubNames(model: ModelProto): {model: ModelProto; renamed: Map<string, string>} {
	const graph = model.graph!;
	const keep = new Set([...graph.input.map(i => i.name), ...graph.output.map(o => o.name), ...graph.initializer.map(i => i.name)]);
	const renamed = new Map<string, string>();
	const rename = (name: string) => {
		if (!name || keep.has(name)) return name;
		if (!renamed.has(name)) renamed.set(name, `t${renamed.size}`);
		return renamed.get(name)!;
	};
	const node = graph.node.map(n => create(NodeProtoSchema, {...n, name: '', input: n.input.map(rename), output: n.output.map(rename)}));
	const valueInfo = graph.valueInfo.map(v => create(ValueInfoProtoSchema, {...v, name: rename(v.name)}));
	return {model: create(ModelProtoSchema, {...model, graph: create(GraphProtoSchema, {...graph, node, valueInfo})}), renamed};
}

describe('graph discovery', () => {
	it('finds every layer of the default model by structure', () => {
		const {map} = loadGraph({onnx: ONNX});
		assert.equal(map.layers.length, 4);
		assert.deepEqual(map.sources, {attention: 'structure', residual: 'structure', mlp: 'structure'});
		map.layers.forEach((layer, l) => {
			// The structural finds sit in the right module scopes of the torch export.
			assert.equal(layerFromName(layer.attention), l);
			assert.match(layer.attention, /attn\/Softmax/);
			assert.match(layer.mlp, /mlp\/act\//);
			assert.match(layer.residual, new RegExp(`/h\\.${l}/Add_1`));
		});
		assert.equal(map.embeddingRows, 2048);
		assert.equal(map.inputs.cache.length, 8);
		assert.equal(map.unembedding, 'model.transformer.wte.weight', 'tied embeddings: the lens uses the token embedding');
	});

	it('finds the same tensors when every node and tensor name is scrubbed', () => {
		const original = discoverGraph(new GraphIndex(defaultProto()), ONNX);
		const {model, renamed} = scrubNames(defaultProto());
		const scrubbed = discoverGraph(new GraphIndex(model), 'scrubbed.onnx');
		assert.equal(scrubbed.layers.length, original.layers.length);
		original.layers.forEach((layer, l) => {
			assert.equal(scrubbed.layers[l]!.attention, renamed.get(layer.attention));
			assert.equal(scrubbed.layers[l]!.residual, renamed.get(layer.residual));
			assert.equal(scrubbed.layers[l]!.mlp, renamed.get(layer.mlp));
		});
		assert.equal(scrubbed.embedding, renamed.get(original.embedding));
	});

	it('lets a manifest override a tensor, and rejects names not in the graph', () => {
		const dir = tempDir('manifest');
		for (const f of ['model.onnx', 'tokenizer.json', 'tokenizer_config.json', 'config.json']) fs.copyFileSync(path.join(DEFAULT_MODEL, f), path.join(dir, f));
		const {map} = loadGraph({onnx: ONNX});
		// Point layer 0's "mlp" at the pre-activation (c_fc output): a user's choice, honoured.
		const preActivation = '/model/h.0/mlp/c_fc/Add_output_0';
		fs.writeFileSync(path.join(dir, 'lmscope.json'), JSON.stringify({layers: [{mlp: preActivation}, {}, {}, {}]}));
		const result = runCli(['graph', dir]);
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, new RegExp(`MLP activation: ${preActivation.replaceAll('/', '\\/')}`));
		assert.match(result.stdout, /mlp manifest/);
		assert.ok(result.stdout.includes(map.layers[1]!.mlp), 'other layers keep the discovered tensor');

		fs.writeFileSync(path.join(dir, 'lmscope.json'), JSON.stringify({layers: [{attention: 'no-such-tensor'}, {}, {}, {}]}));
		const bad = runCli(['graph', dir]);
		assert.equal(bad.code, 2);
		assert.match(bad.stderr, /lmscope\.json: layers\[0\]\.attention names "no-such-tensor", which is not a tensor in the graph/);
	});

	it('`lmscope graph` prints each layer, the final norm and the unembedding', () => {
		const result = runCli(['graph', DEFAULT_MODEL]);
		assert.equal(result.code, 0, result.stderr);
		for (let l = 0; l < 4; l++) assert.match(result.stdout, new RegExp(`layer ${l}\\n  attention probabilities: /model/h\\.${l}/attn/Softmax_output_0`));
		assert.match(result.stdout, /final norm: \/model\/ln_f\/LayerNormalization/);
		assert.match(result.stdout, /unembedding: model\.transformer\.wte\.weight/);
		assert.match(result.stdout, /KV cache: 8 past inputs/);
		const json = JSON.parse(runCli(['graph', DEFAULT_MODEL, '--json']).stdout);
		assert.equal(json.layers.length, 4);
	});

	it('names what was and was not found when discovery fails', () => {
		// A graph whose logits come straight from the embedding: no residual stream, no attention.
		const proto = defaultProto();
		const graph = proto.graph!;
		const gather = graph.node.find(n => n.opType === 'Gather' && n.input.includes('input_ids'))!;
		const broken = create(ModelProtoSchema, {
			...proto,
			graph: create(GraphProtoSchema, {
				...graph,
				node: [create(NodeProtoSchema, {...gather}), create(NodeProtoSchema, {opType: 'Identity', input: [gather.output[0]!], output: ['logits']})],
				output: [create(ValueInfoProtoSchema, {name: 'logits'})],
			}),
		});
		assert.throws(() => discoverGraph(new GraphIndex(broken), 'broken.onnx'), /broken\.onnx: graph discovery failed \(found: logits=logits; not found: residual stream.*lmscope\.json manifest/);
	});
});
