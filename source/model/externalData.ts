/**
 * Weights stored outside the .onnx file (`model.onnx.data`, the external-data format torch and
 * Optimum use for larger models). lmscope edits the graph and hands ONNX Runtime the edited model
 * as bytes, where relative data paths cannot be resolved, so the external tensors are read into
 * the model first (from the folder of the .onnx file, as the ONNX spec says).
 */
import fs from 'node:fs';
import path from 'node:path';
import {UserError, firstLine} from '../errors.js';
import type {ModelProto} from './onnxGraph.js';

const EXTERNAL = 1;

export function inlineExternalData(model: ModelProto, onnxFile: string): number {
	const dir = path.dirname(onnxFile);
	const files = new Map<string, Buffer>();
	let count = 0;
	for (const tensor of model.graph?.initializer ?? []) {
		if (tensor.dataLocation !== EXTERNAL) continue;
		const entry = (key: string) => tensor.externalData.find(e => e.key === key)?.value;
		const location = entry('location');
		if (!location) throw new UserError(`${onnxFile}: initializer ${tensor.name} is stored externally but names no file`);
		const file = path.resolve(dir, location);
		let data = files.get(file);
		if (!data) {
			try {
				data = fs.readFileSync(file);
			} catch (error) {
				throw new UserError(`${onnxFile} keeps weights in ${location}, which cannot be read (${firstLine(error)}): put it next to the .onnx file`);
			}
			files.set(file, data);
		}
		const offset = Number(entry('offset') ?? 0);
		const length = entry('length') !== undefined ? Number(entry('length')) : data.length - offset;
		if (offset + length > data.length) {
			throw new UserError(`${file} is shorter than ${onnxFile} says (${tensor.name} needs bytes ${offset}-${offset + length}, the file has ${data.length}): the download may be incomplete`);
		}
		tensor.rawData = new Uint8Array(data.subarray(offset, offset + length));
		tensor.dataLocation = 0;
		tensor.externalData = [];
		count++;
	}
	return count;
}
