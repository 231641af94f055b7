/** `lmscope eval DATA`: generate (or take predictions), find, score, aggregate, gate. */
import fs from 'node:fs';
import path from 'node:path';
import {defaultDetectors, detectorOptions} from '../analysis/detectors/index.js';
import {DEFAULT_METRICS, parseMetrics, METRICS, type MetricName} from '../analysis/metrics/corpus.js';
import type {BleuTokenizer} from '../analysis/metrics/bleuTokenizers.js';
import {UserError} from '../errors.js';
import {brokenThresholds, findingCounts, parseThreshold, summarizeMetric, type MetricSummary} from '../eval/aggregate.js';
import {readDataset} from '../eval/dataset.js';
import {formatEvalReport} from '../eval/evalReport.js';
import type {EvalMetric} from '../eval/evaluateItem.js';
import {runEval, type Progress} from '../eval/runEval.js';
import {chooseDevice} from '../model/device.js';
import {LanguageModel} from '../model/languageModel.js';
import {locateModel} from '../model/resolve.js';
import {modelSource} from './modelSource.js';
import type {SamplingSettings} from '../model/sampling.js';

export interface EvalFlags {
	device?: string;
	model?: string;
	tokenizer?: string;
	dtype?: string;
	revision?: string;
	offline?: boolean;
	promptField?: string;
	referenceField?: string;
	predictionField?: string;
	maxNewTokens: number;
	metrics?: string;
	jsonOut?: string;
	resume: boolean;
	failUnder: string[];
	tokenize?: string;
	lowercase: boolean;
	stem: boolean;
	verbose: boolean;
	lowProbability?: number;
	highEntropy?: number;
}

export async function evalCommand(data: string, flags: EvalFlags, sampling: SamplingSettings, out: (text: string) => void): Promise<number> {
	let metrics: MetricName[] = DEFAULT_METRICS;
	try {
		if (flags.metrics !== undefined) metrics = parseMetrics(flags.metrics);
	} catch (error) {
		throw new UserError(`--metrics: ${(error as Error).message}`);
	}
	const known = [...METRICS, 'perplexity'];
	const thresholds = flags.failUnder.map(t => {
		try {
			return parseThreshold(t, known);
		} catch (error) {
			throw new UserError(`--fail-under: ${(error as Error).message}`);
		}
	});
	const tokenize = (flags.tokenize ?? '13a') as BleuTokenizer;
	if (!['13a', 'intl', 'char', 'none'].includes(tokenize)) throw new UserError(`--tokenize must be 13a, intl, char or none, got ${flags.tokenize}`);
	const dataset = readDataset(data, {prompt: flags.promptField ?? 'prompt', reference: flags.referenceField ?? 'reference', prediction: flags.predictionField});
	if (dataset.items.length === 0) {
		throw new UserError(`${data} has no usable items (${dataset.problems.length} skipped${dataset.problems[0] ? `; line ${dataset.problems[0].line}: ${dataset.problems[0].reason}` : ''})`);
	}
	// With predictions in the data no model is needed; one is loaded only if asked for (perplexity).
	const needModel = !flags.predictionField || flags.model !== undefined;
	const model = needModel ? await LanguageModel.load(await locateModel(flags.model, flags.tokenizer, modelSource(flags)), {verbose: flags.verbose, device: chooseDevice(flags.device)}) : undefined;
	// eval generates (or measures perplexity): neither exists for a classifier.
	model?.requireGeneration();
	const itemsFile = `${flags.jsonOut ?? path.join('.lmscope', 'eval', path.basename(data))}.items.jsonl`;
	const {results, problems, resumed} = await runEval(
		dataset,
		model,
		{detectors: defaultDetectors(detectorOptions({lowProbability: flags.lowProbability, highEntropy: flags.highEntropy})), metrics, maxNewTokens: flags.maxNewTokens, sampling, score: {tokenize, lowercase: flags.lowercase, stem: flags.stem}, itemsFile, resume: flags.resume},
		progressReporter(),
	);
	const evalMetrics: EvalMetric[] = [...metrics, ...(model ? (['perplexity'] as const) : [])];
	const summaries = evalMetrics.map(m => summarizeMetric(m, results)).filter((s): s is MetricSummary => s !== undefined);
	const findings = findingCounts(results);
	const broken = brokenThresholds(thresholds, summaries);
	const how = flags.predictionField ? `predictions from "${flags.predictionField}"` : `model ${model!.info.name}, ${sampling.temperature > 0 ? `temperature ${sampling.temperature}, seed ${sampling.seed}` : 'greedy'}, at most ${flags.maxNewTokens} new tokens`;
	const header = `eval ${data} (${dataset.format}): ${results.length} items scored${resumed ? ` (${resumed} resumed from ${itemsFile})` : ''}, ${problems.length} skipped; ${how}`;
	out(`${formatEvalReport({data, header, results, problems, summaries, findings, primary: metrics[0], broken})}\n`);
	if (flags.jsonOut) {
		const report = {data, format: dataset.format, model: model?.info, settings: {metrics, maxNewTokens: flags.maxNewTokens, sampling, tokenize, lowercase: flags.lowercase, stem: flags.stem}, summaries, findings, problems, failUnder: {thresholds, broken}, items: results};
		const tmp = `${flags.jsonOut}.tmp`;
		fs.writeFileSync(tmp, JSON.stringify(report, null, 2));
		fs.renameSync(tmp, flags.jsonOut);
		out(`wrote ${flags.jsonOut} (items as they finished: ${itemsFile})\n`);
	}
	return broken.length > 0 ? 1 : 0;
}

/** A progress bar with rate and ETA on a terminal; a plain line every 10% (and at the end) otherwise. */
function progressReporter(): (p: Progress) => void {
	const tty = process.stderr.isTTY === true;
	let lastDecile = -1;
	return p => {
		const rate = p.seconds > 0 ? p.fresh / p.seconds : 0;
		const eta = rate > 0 ? (p.total - p.done) / rate : 0;
		const text = `${p.done}/${p.total} items, ${rate.toFixed(1)}/s, ETA ${Math.ceil(eta)}s`;
		if (tty) {
			const width = 30;
			const filled = Math.round((p.done / p.total) * width);
			process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K${p.done === p.total ? '\n' : ''}`);
		} else {
			const decile = Math.floor((10 * p.done) / p.total);
			if (decile !== lastDecile || p.done === p.total) {
				lastDecile = decile;
				process.stderr.write(`eval: ${text}\n`);
			}
		}
	};
}
