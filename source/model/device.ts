/**
 * Where the model runs: ONNX Runtime's CPU provider (always there) or CUDA (when the CUDA provider
 * was installed with ONNXRUNTIME_NODE_INSTALL=cuda12 and an NVIDIA GPU is present). The code path
 * is the same apart from the provider option.
 */
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {UserError} from '../errors.js';

export type Device = 'cpu' | 'cuda';

const INSTALL_HINT = 'install the CUDA provider with `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install` on a machine with an NVIDIA GPU and CUDA 12';

/** Why CUDA cannot be used here, or undefined when it can. */
export function cudaUnavailable(): string | undefined {
	let binDir: string;
	try {
		const root = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
		binDir = path.join(root, 'bin', 'napi-v6', process.platform, process.arch);
	} catch {
		return 'onnxruntime-node is not installed';
	}
	if (!fs.existsSync(path.join(binDir, 'libonnxruntime_providers_cuda.so'))) return `onnxruntime-node's CUDA provider is not installed (${binDir} has no libonnxruntime_providers_cuda.so)`;
	if (!fs.existsSync('/dev/nvidiactl') && !fs.existsSync('/dev/nvidia0')) return 'no NVIDIA GPU is visible (/dev/nvidia0 is absent)';
	return undefined;
}

/** `--device`: cpu, cuda, or (unset) cuda when available, else cpu. */
export function chooseDevice(requested: string | undefined): Device {
	if (requested === undefined) return cudaUnavailable() === undefined ? 'cuda' : 'cpu';
	if (requested === 'cpu') return 'cpu';
	if (requested === 'cuda') {
		const why = cudaUnavailable();
		if (why) throw new UserError(`--device cuda: ${why}; ${INSTALL_HINT}, or use --device cpu`);
		return 'cuda';
	}
	throw new UserError(`--device must be cpu or cuda, got ${requested}`);
}
