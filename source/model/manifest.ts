/**
 * An optional `lmscope.json` next to the model names tensors when discovery cannot find them:
 *
 *   {"logits": "logits", "embedding": "/embed/Add_output_0",
 *    "layers": [{"attention": "...", "residual": "...", "mlp": "..."}, ...]}
 *
 * Every field is optional; what is given replaces what discovery found, and must name a tensor
 * that exists in the graph.
 */
import fs from 'node:fs';
import {UserError} from '../errors.js';
import type {GraphMap, LayerTensors} from './graphMap.js';
import type {GraphIndex} from './onnxGraph.js';

export const MANIFEST_NAME = 'lmscope.json';

export interface Manifest {
	logits?: string;
	embedding?: string;
	layers?: Array<Partial<LayerTensors>>;
}

export function readManifest(file: string): Manifest | undefined {
	if (!fs.existsSync(file)) return undefined;
	let value: unknown;
	try {
		value = JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch (error) {
		throw new UserError(`${file} is not valid JSON (${(error as Error).message}): fix or remove it`);
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new UserError(`${file} must hold a JSON object like {"layers": [{"attention": "...", "residual": "...", "mlp": "..."}]}`);
	}
	const manifest = value as Manifest;
	if (manifest.layers !== undefined && !Array.isArray(manifest.layers)) {
		throw new UserError(`${file}: "layers" must be an array with one object per layer`);
	}
	return manifest;
}

function tensorExists(index: GraphIndex, name: string): boolean {
	return index.producer.has(name) || index.inputs.includes(name);
}

/** Apply a manifest over a discovered map (or build one when discovery failed and the manifest is complete). */
export function applyManifest(map: GraphMap, manifest: Manifest, index: GraphIndex, file: string): GraphMap {
	const check = (field: string, name: unknown): string => {
		if (typeof name !== 'string' || !tensorExists(index, name)) {
			throw new UserError(`${file}: ${field} names "${String(name)}", which is not a tensor in the graph; run \`lmscope graph\` to list what was found`);
		}
		return name;
	};
	const result: GraphMap = {...map, layers: map.layers.map(l => ({...l})), sources: {...map.sources}, notes: [...map.notes]};
	if (manifest.logits !== undefined) result.logits = check('logits', manifest.logits);
	if (manifest.embedding !== undefined) result.embedding = check('embedding', manifest.embedding);
	if (manifest.layers) {
		if (manifest.layers.length !== result.layers.length && result.layers.length > 0) {
			throw new UserError(`${file}: lists ${manifest.layers.length} layers but the graph has ${result.layers.length}`);
		}
		result.layers = manifest.layers.map((layer, i) => {
			const base = result.layers[i];
			const pick = (key: keyof LayerTensors): string => {
				if (layer[key] !== undefined) {
					result.sources[key] = 'manifest';
					return check(`layers[${i}].${key}`, layer[key]);
				}
				if (!base) throw new UserError(`${file}: layers[${i}].${key} is missing and discovery found no value for it`);
				return base[key];
			};
			return {attention: pick('attention'), residual: pick('residual'), mlp: pick('mlp')};
		});
	}
	result.notes.push(`manifest ${file} applied`);
	return result;
}
