/** Dispatch a parsed command line to its command. */
import os from 'node:os';
import path from 'node:path';
import {detectorOptions} from '../analysis/detectors/index.js';
import {UserError} from '../errors.js';
import {chooseDevice} from '../model/device.js';
import {LanguageModel} from '../model/languageModel.js';
import {loadGraph} from '../model/loadGraph.js';
import {locateModel} from '../model/resolve.js';
import {modelSource} from './modelSource.js';
import {generateCommand} from './generateCommand.js';
import {graphCommand} from './graphCommand.js';
import {promptFrom, readTextFile} from './promptInput.js';
import {traceCommand} from './traceCommand.js';

export interface Flags {
	device?: string;
	break: string[];
	lowProbability?: number;
	highEntropy?: number;
	promptField?: string;
	referenceField?: string;
	predictionField?: string;
	jsonOut?: string;
	resume: boolean;
	failUnder: string[];
	ref: string[];
	metrics?: string;
	tokenize?: string;
	lowercase: boolean;
	stem: boolean;
	ratings?: string;
	rater?: string;
	reference?: string;
	model?: string;
	tokenizer?: string;
	revision?: string;
	dtype?: string;
	offline: boolean;
	promptFile?: string;
	topK?: number;
	json: boolean;
	maxNewTokens: number;
	temperature: number;
	topP: number;
	seed: number;
	verbose: boolean;
}

export const DEFAULT_PROMPT = 'In the beginning God created';
const COMMANDS = new Set(['inspect', 'trace', 'generate', 'graph', 'ratings', 'score', 'eval']);

const out = (text: string) => process.stdout.write(text);
const note = (text: string) => process.stderr.write(`${text}\n`);

export async function runCommand(input: string[], flags: Flags): Promise<void> {
	const [first, ...rest] = input;
	const command = first !== undefined && COMMANDS.has(first) ? first : undefined;
	const args = command ? rest : input;
	if (command === 'eval') {
		if (args.length !== 1) throw new UserError('usage: lmscope eval DATA [flags] (DATA: .jsonl, .csv or a text file of prompts)');
		validate(flags);
		const sampling = {temperature: flags.temperature, topK: flags.topK ?? 0, topP: flags.topP, seed: flags.seed};
		// Commands load their modules when run: start-up stays fast for the others.
		const {evalCommand} = await import('./evalCommand.js');
		process.exitCode = await evalCommand(args[0]!, flags, sampling, out);
		return;
	}
	if (command === 'score') {
		if (args.length > 0) throw new UserError(`score takes no arguments (got ${args.join(' ')}): lmscope score --ref REF_FILE [--ref MORE] < HYP_FILE`);
		const {readStdin, scoreCommand} = await import('./scoreCommand.js');
		out(`${scoreCommand(await readStdin(), flags)}\n`);
		return;
	}
	if (command === 'ratings') {
		const {ratingsCommand} = await import('./ratingsCommand.js');
		out(`${ratingsCommand(args, flags.json)}\n`);
		return;
	}
	if (args.length > 1) {
		throw new UserError(`expected one prompt argument but got ${args.length}: quote the prompt ("lmscope ${command ?? 'inspect'} \\"The king said\\"")`);
	}
	validate(flags);
	if (command === 'trace' && flags.topK === 0) {
		throw new UserError('--top-k for trace must be at least 1 (it is how many candidates to show)');
	}

	if (command === 'graph') {
		const files = await locateModel(args[0] ?? flags.model, flags.tokenizer, {...modelSource(flags), needTokenizer: false});
		out(`${graphCommand(files.onnx, loadGraph(files), flags.json)}\n`);
		return;
	}
	// Read the prompt before loading the model: a bad prompt file should fail fast.
	const inspect = command === undefined || command === 'inspect';
	const prompt = promptFrom({positional: args[0], file: flags.promptFile, fallback: inspect ? DEFAULT_PROMPT : undefined});
	const sampling = {temperature: flags.temperature, topK: flags.topK ?? 0, topP: flags.topP, seed: flags.seed};
	if (inspect) {
		// Ink draws nothing until exit when it believes it runs in CI (is-in-ci reads CI when Ink loads);
		// the inspector is interactive by definition, so that guess must not apply to it.
		for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) if (key in process.env) process.env[key] = 'false';
		// Loaded lazily: the inspector pulls in Ink and React, which the plain commands do not need.
		const {runInspector} = await import('../ui/inspect.js');
		await runInspector({
			files: await locateModel(flags.model, flags.tokenizer, modelSource(flags)),
			prompt,
			settings: {...sampling, maxNewTokens: flags.maxNewTokens},
			breakpoints: flags.break,
			reference: flags.reference === undefined ? undefined : readTextFile(flags.reference, '--reference'),
			ratingsPath: flags.ratings ?? path.join('.lmscope', 'ratings.jsonl'),
			rater: flags.rater ?? os.userInfo().username,
			detectorOptions: detectorOptions({lowProbability: flags.lowProbability, highEntropy: flags.highEntropy}),
			verbose: flags.verbose,
			device: chooseDevice(flags.device),
		});
		return;
	}
	const model = await LanguageModel.load(await locateModel(flags.model, flags.tokenizer, modelSource(flags)), {verbose: flags.verbose, device: chooseDevice(flags.device)});
	if (command === 'generate') {
		await generateCommand(
			model,
			prompt,
			{
				maxNewTokens: flags.maxNewTokens,
				verbose: flags.verbose,
				sampling,
			},
			out,
			note,
		);
		return;
	}
	out(`${await traceCommand(model, prompt, {topK: flags.topK ?? 5, json: flags.json})}\n`);
}

function validate(flags: Flags): void {
	const isInt = (v: number) => Number.isInteger(v);
	if (flags.topK !== undefined && (!isInt(flags.topK) || flags.topK < 0)) throw new UserError(`--top-k must be a whole number >= 0, got ${flags.topK}`);
	if (!isInt(flags.maxNewTokens) || flags.maxNewTokens < 1) throw new UserError(`--max-new-tokens must be a whole number >= 1, got ${flags.maxNewTokens}`);
	if (!(flags.temperature >= 0)) throw new UserError(`--temperature must be >= 0 (0 = greedy), got ${flags.temperature}`);
	if (!(flags.topP > 0 && flags.topP <= 1)) throw new UserError(`--top-p must be in (0, 1], got ${flags.topP}`);
	if (!isInt(flags.seed)) throw new UserError(`--seed must be a whole number, got ${flags.seed}`);
	if (flags.lowProbability !== undefined && !(flags.lowProbability > 0 && flags.lowProbability < 1)) throw new UserError(`--low-probability must be in (0, 1), got ${flags.lowProbability}`);
	if (flags.highEntropy !== undefined && !(flags.highEntropy > 0)) throw new UserError(`--high-entropy must be > 0 (nats), got ${flags.highEntropy}`);
}
