/**
 * Models named by a Hugging Face Hub id (`--model onnx-community/Qwen2.5-0.5B-Instruct`): the files
 * lmscope needs are fetched once into a cache folder and the cached folder is then used like any
 * local model folder.
 *
 * The URL template, the HF_TOKEN header and the cache layout are @huggingface/transformers' own
 * (`{endpoint}/{id}/resolve/{revision}/{file}`, cached at `{cache}/{id}/{file}` for the main
 * revision and `{cache}/{id}/{revision}/{file}` for others, written to a temporary file and renamed),
 * so a transformers.js program whose `env.cacheDir` points at the same folder shares the downloads.
 * lmscope fetches the files itself because transformers.js exposes no call that downloads a file
 * without also building its own inference session for it (its getModelFile is internal).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {UserError, firstLine} from '../errors.js';

/** --dtype values and the file-name suffix the Hub's ONNX repos use for each (transformers.js' mapping). */
export const DTYPE_SUFFIX: Record<string, string> = {
	fp32: '',
	fp16: '_fp16',
	q8: '_quantized',
	int8: '_int8',
	uint8: '_uint8',
	q4: '_q4',
	q4f16: '_q4f16',
	bnb4: '_bnb4',
};

export function dtypeSuffix(dtype: string | undefined): string {
	if (dtype === undefined) return '';
	const key = dtype === 'quantized' ? 'q8' : dtype;
	const suffix = DTYPE_SUFFIX[key];
	if (suffix === undefined) throw new UserError(`--dtype must be one of ${Object.keys(DTYPE_SUFFIX).join(', ')} (quantized = q8), got ${dtype}`);
	return suffix;
}

/** The ONNX files a model folder or Hub repo may hold for a dtype, in the order they are tried. */
export function onnxCandidates(dtype: string | undefined): string[] {
	const suffix = dtypeSuffix(dtype);
	// decoder_model.onnx (older Optimum/transformers.js repos) has no cache: it works, generation reruns the sequence.
	// decoder_model_merged.onnx hides the graph in an If on use_cache_branch, which discovery cannot see into.
	return [`model${suffix}.onnx`, `onnx/model${suffix}.onnx`, `onnx/decoder_model${suffix}.onnx`];
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/** True when `spec` names a Hub repo rather than a local path (a path that exists always wins). */
export function isHubId(spec: string): boolean {
	return HUB_ID.test(spec) && !spec.includes('..') && !spec.endsWith('.onnx') && !fs.existsSync(spec);
}

export interface HubOptions {
	revision?: string;
	dtype?: string;
	/** Never touch the network (also HF_HUB_OFFLINE=1 or TRANSFORMERS_OFFLINE=1). */
	offline?: boolean;
	env?: NodeJS.ProcessEnv;
	/** Download progress, one line per file. */
	log?: (line: string) => void;
}

export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
	if (env.LMSCOPE_CACHE_DIR) return path.resolve(env.LMSCOPE_CACHE_DIR);
	const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
	return path.join(base, 'lmscope', 'hub');
}

export function isOffline(options: HubOptions): boolean {
	const env = options.env ?? process.env;
	const on = (v: string | undefined) => v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
	return options.offline === true || on(env.HF_HUB_OFFLINE) || on(env.TRANSFORMERS_OFFLINE);
}

/** The folder a revision of a repo is cached in (transformers.js' FileCache keys). */
export function hubFolder(id: string, revision: string, env: NodeJS.ProcessEnv = process.env): string {
	const root = hubCacheDir(env);
	return revision === 'main' ? path.join(root, id) : path.join(root, id, revision);
}

type Fetched = 'cached' | 'downloaded' | 'missing';

/**
 * Make sure the files of a Hub model are in the cache and return the cached folder. Files already
 * cached are used as they are (like transformers.js, no revalidation: a revision other than a branch
 * name never changes; delete the folder to refresh a branch).
 */
export async function fetchHubModel(id: string, options: HubOptions = {}): Promise<string> {
	const env = options.env ?? process.env;
	const revision = options.revision ?? 'main';
	const folder = hubFolder(id, revision, env);
	const offline = isOffline(options);
	const endpoint = (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
	const token = env.HF_TOKEN ?? env.HF_ACCESS_TOKEN;
	const where = `${id}${revision === 'main' ? '' : `@${revision}`}`;
	const get = async (file: string, required: boolean): Promise<Fetched> => {
		const target = path.join(folder, file);
		if (fs.existsSync(target)) return 'cached';
		if (offline) {
			if (!required) return 'missing';
			throw new UserError(`${where}: ${file} is not in the cache (${folder}) and lmscope is offline (--offline, HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE): run once with network access, or copy the model folder there`);
		}
		const url = `${endpoint}/${id}/resolve/${encodeURIComponent(revision)}/${file}`;
		let response: Response;
		try {
			response = await fetch(url, {headers: token ? {Authorization: `Bearer ${token}`} : {}, redirect: 'follow'});
		} catch (error) {
			// An optional file (generation_config.json...) is not worth failing for when the network is down.
			if (!required) return 'missing';
			throw new UserError(`cannot reach ${endpoint} for ${where}, which is not a local folder either (${firstLine((error as {cause?: unknown}).cause ?? error)}): check the network or HF_ENDPOINT, or use --offline with a cached model`);
		}
		if (response.status === 404) {
			if (required) throw new UserError(`${where} has no ${file} (HTTP 404 from ${endpoint}; no local folder ${id} exists either): check the model id or path${revision === 'main' ? '' : ' and --revision'}`);
			return 'missing';
		}
		if (response.status === 401 || response.status === 403) {
			throw new UserError(`${where}: ${file} needs authorization (HTTP ${response.status}): the model is gated or private; accept its terms on the Hub and set HF_TOKEN to an access token`);
		}
		if (!response.ok || !response.body) throw new UserError(`${where}: downloading ${file} failed (HTTP ${response.status} from ${endpoint}): try again later`);
		await saveAtomically(response, target, file, options.log);
		return 'downloaded';
	};

	for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) await get(file, true);
	for (const file of ['generation_config.json', 'genai_config.json', 'lmscope.json']) await get(file, false);
	const candidates = onnxCandidates(options.dtype);
	let onnx = candidates.find(file => fs.existsSync(path.join(folder, file)));
	if (!onnx) for (const file of candidates) {
		if ((await get(file, false)) !== 'missing') {
			onnx = file;
			break;
		}
	}
	if (!onnx) {
		const how = offline ? `none is in the cache (${folder})` : `${endpoint} has none of them`;
		throw new UserError(`${where}: no ONNX file for --dtype ${options.dtype ?? 'fp32'} (looked for ${candidates.join(', ')}; ${how}): pick another --dtype, or export the model to ONNX (see README, "Bring your own model")`);
	}
	// Weights stored beside the graph: Optimum writes model.onnx_data, torch model.onnx.data.
	for (const data of [`${onnx}_data`, `${onnx}.data`]) await get(data, false);
	return folder;
}

async function saveAtomically(response: Response, target: string, file: string, log?: (line: string) => void): Promise<void> {
	fs.mkdirSync(path.dirname(target), {recursive: true});
	const temporary = `${target}.tmp.${process.pid}`;
	const total = Number(response.headers.get('content-length') ?? 0);
	const out = fs.openSync(temporary, 'w');
	let loaded = 0;
	let lastReport = Date.now();
	try {
		for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
			fs.writeSync(out, chunk);
			loaded += chunk.length;
			if (log && Date.now() - lastReport > 1000) {
				lastReport = Date.now();
				log(`downloading ${file}: ${mb(loaded)}${total ? ` of ${mb(total)}` : ''}`);
			}
		}
		fs.fsyncSync(out);
	} catch (error) {
		fs.closeSync(out);
		fs.rmSync(temporary, {force: true});
		throw new UserError(`downloading ${file} was interrupted (${firstLine(error)}): run the command again`);
	}
	fs.closeSync(out);
	fs.renameSync(temporary, target);
	log?.(`downloaded ${file} (${mb(loaded)})`);
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
