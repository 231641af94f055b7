/**
 * Resolve what `--model` names into files on disk: the default model shipped in models/default,
 * a local folder in Hugging Face layout, or a bare .onnx file (tokenizer from --tokenizer DIR).
 */
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {UserError} from '../errors.js';
import {fetchHubModel, isHubId, onnxCandidates, type HubOptions} from './hub.js';

export interface ModelFiles {
	/** Short name for headers: the folder or file name. */
	name: string;
	onnx: string;
	tokenizerDir: string;
	configFile?: string;
	/** ORT GenAI's description of the model, when there is no config.json. */
	genaiConfigFile?: string;
	manifestFile?: string;
}

/** The package root (where package.json and models/ live), from source/ or dist/source/. */
export function packageRoot(): string {
	let dir = path.dirname(fileURLToPath(import.meta.url));
	for (let i = 0; i < 6; i++) {
		if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'models'))) return dir;
		dir = path.dirname(dir);
	}
	throw new Error('lmscope: cannot find the package root (package.json beside models/)');
}

export function defaultModelDir(): string {
	return path.join(packageRoot(), 'models', 'default');
}

const FIX = 'pass --model with a folder holding model.onnx (or onnx/model.onnx), tokenizer.json and tokenizer_config.json, or a .onnx file with --tokenizer DIR';

export interface ResolveOptions {
	needTokenizer?: boolean;
	/** Which precision's ONNX file to take from a folder holding several (see hub.ts, DTYPE_SUFFIX). */
	dtype?: string;
}

/**
 * What --model names, as files on disk: a Hub id is fetched into the cache first (hub.ts), then
 * treated as the folder it was cached in.
 */
export async function locateModel(spec: string | undefined, tokenizerDir: string | undefined, options: ResolveOptions & HubOptions = {}): Promise<ModelFiles> {
	if (spec !== undefined && isHubId(spec)) {
		const folder = await fetchHubModel(spec, options);
		return {...resolveModel(folder, tokenizerDir, options), name: spec};
	}
	return resolveModel(spec, tokenizerDir, options);
}

export function resolveModel(spec: string | undefined, tokenizerDir?: string, options: ResolveOptions = {}): ModelFiles {
	const target = path.resolve(spec ?? defaultModelDir());
	if (!fs.existsSync(target)) {
		throw new UserError(`model ${spec ?? target} does not exist: ${FIX}`);
	}
	const stat = fs.statSync(target);
	if (stat.isFile()) {
		if (!target.endsWith('.onnx')) throw new UserError(`model ${spec} is a file but not a .onnx file: ${FIX}`);
		const dir = tokenizerDir ? path.resolve(tokenizerDir) : path.dirname(target);
		if (options.needTokenizer !== false && !tokenizerDir && !fs.existsSync(path.join(dir, 'tokenizer.json'))) {
			throw new UserError(`model ${spec} is a bare .onnx file with no tokenizer.json beside it: add --tokenizer DIR (a folder with tokenizer.json and tokenizer_config.json)`);
		}
		return withSidecars({name: path.basename(target), onnx: target, tokenizerDir: dir}, path.dirname(target));
	}
	const candidates = onnxCandidates(options.dtype);
	const onnx = candidates.map(f => path.join(target, f)).find(f => fs.existsSync(f));
	if (!onnx) {
		const which = options.dtype ? ` for --dtype ${options.dtype}` : '';
		throw new UserError(`model folder ${spec ?? target} has no ${candidates.join(' or ')}${which}: ${FIX}`);
	}
	return withSidecars(
		{name: path.basename(target), onnx, tokenizerDir: tokenizerDir ? path.resolve(tokenizerDir) : target},
		target,
	);
}

function withSidecars(files: ModelFiles, dir: string): ModelFiles {
	const config = path.join(dir, 'config.json');
	const genai = path.join(dir, 'genai_config.json');
	const manifest = path.join(dir, 'lmscope.json');
	return {
		...files,
		configFile: fs.existsSync(config) ? config : undefined,
		genaiConfigFile: fs.existsSync(genai) ? genai : undefined,
		manifestFile: fs.existsSync(manifest) ? manifest : undefined,
	};
}
