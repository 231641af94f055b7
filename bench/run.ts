/**
 * npm run bench: speed figures as ratios measured side by side in one run.
 *  1. instrumentation overhead: the model as exported (logits only) vs the instrumented graph
 *     fetching every internal (attention, residual stream, MLP activations), at 32/128/512 tokens;
 *  2. per-token decoding: one KV-cache step vs a full recomputation, at positions 32/128/512;
 * on the default model (context 128, so 512 does not apply) and on a GPT-2-small-shaped model
 * with random weights, built on demand in bench/.cache/ (never committed).
 */
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {LanguageModel} from '../source/model/languageModel.js';
import {serializeModel} from '../source/model/onnxGraph.js';
import {defaultModelDir, resolveModel} from '../source/model/resolve.js';
import {WANT_ALL} from '../source/model/trace.js';
import {compare} from './measure.js';
import {CLI, keyLatency, launchTime} from './inspectorBench.js';
import {buildGpt, GPT2_SMALL, type GptShape} from './syntheticGpt.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const LENGTHS = [32, 128, 512];
const args = new Set(process.argv.slice(2));

function syntheticFolder(name: string, shape: GptShape): string {
	const dir = path.join(HERE, '.cache', name);
	const onnx = path.join(dir, 'model.onnx');
	if (!fs.existsSync(onnx)) {
		process.stdout.write(`building ${name} (random weights, once, in bench/.cache/) ... `);
		fs.mkdirSync(dir, {recursive: true});
		const bytes = serializeModel(buildGpt(shape));
		fs.writeFileSync(`${onnx}.tmp`, bytes);
		fs.renameSync(`${onnx}.tmp`, onnx);
		const {layers, heads, width, vocab, positions} = shape;
		fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({model_type: 'gpt2', n_layer: layers, n_head: heads, n_embd: width, vocab_size: vocab, n_positions: positions}));
		console.log(`${(bytes.length / 1e6).toFixed(0)} MB`);
	}
	return dir;
}

function ids(n: number, vocab: number): number[] {
	// Real text ids would do as well; a fixed pseudo-random sequence keeps runs identical.
	return Array.from({length: n}, (_, i) => (i * 7919 + 13) % Math.min(2000, vocab));
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`.padStart(11);

async function benchModel(label: string, model: LanguageModel, reps: (n: number) => number): Promise<void> {
	const context = model.info.context ?? Infinity;
	console.log(`\n## ${label}: ${model.info.layers} layers, ${model.info.heads} heads, width ${model.info.width}, vocab ${model.info.vocabSize}, context ${context}`);
	console.log('\ninstrumentation overhead (target <= 1.3x): plain = the graph as exported, logits only;');
	console.log('instrumented = every layer\'s attention, residual stream and MLP activation fetched');
	console.log(`${'tokens'.padEnd(8)}${'plain'.padStart(11)}${'instrumented'.padStart(14)}${'ratio'.padStart(8)}`);
	for (const n of LENGTHS) {
		if (n > context) {
			console.log(`${String(n).padEnd(8)}(longer than the model's context of ${context})`);
			continue;
		}
		const input = ids(n, model.info.vocabSize);
		const r = await compare(() => model.forwardPlain(input), () => model.forward(input, WANT_ALL), reps(n));
		console.log(`${String(n).padEnd(8)}${fmt(r.baseMs)}${fmt(r.otherMs).padStart(14)}${`${r.ratio.toFixed(2)}x`.padStart(8)}`);
	}
	console.log('\nper-token step with all internals: KV-cache step vs full recomputation of the sequence');
	console.log(`${'position'.padEnd(10)}${'kv step'.padStart(11)}${'full pass'.padStart(12)}${'speed-up'.padStart(10)}`);
	for (const n of LENGTHS) {
		if (n > context) {
			console.log(`${String(n).padEnd(10)}(longer than the model's context of ${context})`);
			continue;
		}
		const input = ids(n, model.info.vocabSize);
		const prefix = await model.run(input.slice(0, n - 1), 0, model.emptyCache(), {logits: 'last'});
		const step = () => model.run([input[n - 1]!], n - 1, prefix.cache, {...WANT_ALL, logits: 'last'});
		const full = () => model.forward(input, {...WANT_ALL, logits: 'last'});
		const r = await compare(step, full, reps(n));
		console.log(`${String(n).padEnd(10)}${fmt(r.baseMs)}${fmt(r.otherMs).padStart(12)}${`${r.ratio.toFixed(1)}x`.padStart(10)}`);
	}
}

console.log(`lmscope bench — ${new Date().toISOString()} — node ${process.version}, ${process.arch}, CPU execution provider`);
const tokenizer = defaultModelDir();
const defaultLm = await LanguageModel.load(resolveModel(undefined));
await benchModel('default model', defaultLm, () => 40);

console.log('\n## inspector');
console.log('key press to frame, cursor moves (h/l/j/k/]) in the real App rendered by Ink (target p95 <= 33 ms at 128 tokens)');
console.log(`${'tokens'.padEnd(8)}${'median'.padStart(10)}${'p95'.padStart(10)}  model`);
const long = await LanguageModel.load(
	resolveModel(path.join(syntheticFolder('default-shape-1024-positions', {layers: 4, heads: 4, width: 128, vocab: 2048, positions: 1024}), 'model.onnx'), tokenizer),
);
for (const [tokens, model, label] of [[128, defaultLm, 'default (context 128)'], [512, long, 'default shape, 1,024 positions, random weights']] as const) {
	const r = await keyLatency(model, tokens);
	console.log(`${String(r.tokens).padEnd(8)}${`${r.medianMs.toFixed(1)} ms`.padStart(10)}${`${r.p95Ms.toFixed(1)} ms`.padStart(10)}  ${label}`);
}
const launch = await launchTime(CLI);
if (launch) {
	console.log(`launch to first full frame (real binary in tmux, default model; target <= 1.5 s): ${(launch.launchMs / 1000).toFixed(2)} s`);
	console.log(`  for scale, node printing one line in the same tmux: ${(launch.nodeMs / 1000).toFixed(2)} s (ratio ${(launch.launchMs / launch.nodeMs).toFixed(1)}x)`);
} else {
	console.log('launch to first frame: skipped (tmux is not installed)');
}

// A real fused-attention export (ONNX Runtime's transformer optimizer): instrumentation recomputes
// each Attention operator's probabilities, so here the instrumented graph does extra work.
const fusedFixture = path.resolve(HERE, '..', '..', 'shared', 'fixtures', 'foreign', 'ortgenai-tiny-gpt2', 'past.onnx');
if (fs.existsSync(fusedFixture)) {
	await benchModel('fused attention, ORT transformer-optimizer export (ortgenai-tiny-gpt2, random weights)', await LanguageModel.load(resolveModel(fusedFixture)), () => 40);
} else {
	console.log(`\n## fused attention: skipped (${fusedFixture} is absent outside the project's workspace)`);
}
// ORT GenAI builder layout: GroupQueryAttention with rotary inside; recomputation re-rotates Q and repeats K heads.
await benchModel('fused attention, ORT GenAI builder layout (genai-gqa: GroupQueryAttention, llama-tiny weights)', await LanguageModel.load(resolveModel(path.resolve(HERE, '..', 'test', 'fixtures', 'genai-gqa'))), () => 40);

if (!args.has('--quick')) {
	const folder = syntheticFolder('gpt2-small-random', GPT2_SMALL);
	const model = await LanguageModel.load(resolveModel(path.join(folder, 'model.onnx'), tokenizer));
	await benchModel('GPT-2-small shape (random weights)', model, n => (n >= 512 ? 8 : 15));
}
