/** Read an ONNX file and discover its internals (plus the manifest, if any), without running it. */
import {isSequenceClassifier} from './discoverEncoder.js';
import fs from 'node:fs';
import {UserError, firstLine, isUserError} from '../errors.js';
import {inlineExternalData} from './externalData.js';
import {discoverGraph, discoverInputs, embeddingRows, findUnembedding, lensNodes} from './discover.js';
import type {GraphMap} from './graphMap.js';
import {applyManifest, readManifest, type Manifest} from './manifest.js';
import {GraphIndex, parseModel, type ModelProto} from './onnxGraph.js';
import type {ModelFiles} from './resolve.js';

export interface LoadedGraph {
	proto: ModelProto;
	index: GraphIndex;
	map: GraphMap;
}

export function loadGraph(files: Pick<ModelFiles, 'onnx' | 'manifestFile'>): LoadedGraph {
	let bytes: Uint8Array;
	try {
		bytes = fs.readFileSync(files.onnx);
	} catch (error) {
		throw new UserError(`cannot read ${files.onnx} (${firstLine(error)}): check the path and permissions`);
	}
	const proto = parseModel(bytes, files.onnx);
	inlineExternalData(proto, files.onnx);
	const index = new GraphIndex(proto);
	const manifest = files.manifestFile ? readManifest(files.manifestFile) : undefined;
	let map: GraphMap;
	try {
		map = discoverGraph(index, files.onnx);
	} catch (error) {
		// Discovery failed: a manifest that names everything can still describe the graph.
		if (!manifest || !isUserError(error)) throw error;
		map = mapFromManifest(index, manifest, files.onnx, files.manifestFile!, error);
	}
	if (manifest) map = applyManifest(map, manifest, index, files.manifestFile!);
	return {proto, index, map};
}

function mapFromManifest(index: GraphIndex, manifest: Manifest, onnx: string, file: string, cause: UserError): GraphMap {
	const layers = manifest.layers ?? [];
	const complete = manifest.embedding && layers.length > 0 && layers.every(l => l.attention && l.residual && l.mlp);
	if (!complete) {
		throw new UserError(`${cause.message}; ${file} would need "embedding" and every layer's "attention", "residual" and "mlp" to stand in for discovery`);
	}
	const inputs = discoverInputs(index, onnx);
	const logits = manifest.logits ?? (index.outputs.includes('logits') ? 'logits' : index.outputs[0]!);
	const last = layers.at(-1)!.residual!;
	const lens = lensNodes(index, last, logits);
	return {
		task: isSequenceClassifier(index, inputs, logits) ? 'classification' : 'next-token',
		logits,
		embedding: manifest.embedding!,
		layers: layers.map(l => ({attention: l.attention!, residual: l.residual!, mlp: l.mlp!})),
		sources: {attention: 'manifest', residual: 'manifest', mlp: 'manifest'},
		finalNorm: lens.filter(n => !index.isWeight(n.output[0]!)).map(n => n.name || n.opType),
		unembedding: findUnembedding(index, lens) ?? '',
		embeddingRows: embeddingRows(index, inputs.inputIds),
		inputs,
		notes: ['structural discovery failed; every tensor comes from the manifest'],
	};
}
