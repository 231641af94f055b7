/** Shared test helpers: the default model (loaded once), its golden fixtures, and a CLI runner. */
import {execFile, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {LanguageModel} from '../source/model/languageModel.js';
import {resolveModel} from '../source/model/resolve.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_MODEL = path.join(ROOT, 'models', 'default');
/** Fixtures shared by the project, beside the checkout; absent in a user's clone. */
export const SHARED_FIXTURES = path.resolve(ROOT, '..', 'shared', 'fixtures');

/** Tolerance for every internal value compared with PyTorch (fp32 on both sides). */
export const TOLERANCE = 1e-4;

export interface TopK {
	ids: number[];
	values: number[];
}

export interface Golden {
	prompt: string;
	ids: number[];
	logits_top5: TopK[];
	attention: number[][][][];
	residual_norm: number[][];
	mlp: Array<{mean: number[]; max: number[]; argmax: number[]; norm: number[]; last_top5: TopK}>;
	logit_lens_top5: TopK[][];
	greedy_ids: number[];
}

export function goldens(): Golden[] {
	const dir = path.join(DEFAULT_MODEL, 'golden');
	return fs
		.readdirSync(dir)
		.filter(f => f.endsWith('.json'))
		.sort()
		.map(f => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Golden);
}

let model: Promise<LanguageModel> | undefined;
export function defaultModel(): Promise<LanguageModel> {
	model ??= LanguageModel.load(resolveModel(undefined));
	return model;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
	if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
	let max = 0;
	for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
	return max;
}

export interface CliResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** Run the built CLI (npm test builds dist/ first) as a user would. */
export function runCli(args: string[], options: {input?: string | Buffer; cwd?: string} = {}): CliResult {
	const result = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], {
		encoding: 'utf8',
		input: options.input ?? '',
		cwd: options.cwd ?? ROOT,
		env: {...process.env, NO_COLOR: '1'},
		timeout: 60_000,
	});
	return {code: result.status, stdout: result.stdout, stderr: result.stderr};
}

/** Like runCli, without blocking the event loop (for tests that serve files to the CLI), with extra environment. */
export function runCliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
	return new Promise(resolve => {
		execFile(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], {cwd: ROOT, env: {...process.env, NO_COLOR: '1', ...env}, timeout: 60_000, encoding: 'utf8'}, (error, stdout, stderr) => {
			const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
			resolve({code, stdout, stderr});
		});
	});
}

export function tempDir(prefix: string): string {
	return fs.mkdtempSync(path.join(fs.realpathSync(process.env['TMPDIR'] ?? '/tmp'), `lmscope-${prefix}-`));
}
