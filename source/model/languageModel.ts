/**
 * A loaded language model: tokenizer, discovered graph map, an instrumented ONNX Runtime session
 * that returns internals on request, and a lazily built "lens" session for the logit lens.
 * The only module that talks to ONNX Runtime.
 */
import * as ort from 'onnxruntime-node';
import {UserError, firstLine} from '../errors.js';
import type {Device} from './device.js';
import {asFloat32, toHalfBits} from './float16.js';
import type {GraphMap} from './graphMap.js';
import {instrumentModel, lensModel} from './instrument.js';
import {loadGraph} from './loadGraph.js';
import {readGenaiConfig, readModelConfig, type ModelConfig} from './modelConfig.js';
import {GraphIndex, serializeModel, type ModelProto} from './onnxGraph.js';
import type {ModelFiles} from './resolve.js';
import {loadTokenizer, type Tokenizer} from './tokenizer.js';
import {wantsAttention, type Trace, type Want} from './trace.js';

export interface LoadOptions {
	verbose?: boolean;
	/** Execution provider (default: CPU). */
	device?: Device;
}

export interface ModelInfo {
	name: string;
	file: string;
	layers: number;
	heads: number;
	width: number;
	vocabSize: number;
	context?: number;
	provider: string;
	hasCache: boolean;
	/** 'classification': logits are one row of class scores for the whole sequence, and the model does not generate. */
	task: 'next-token' | 'classification';
	/** Class names (config.json id2label; LABEL_i when absent), for classifiers. */
	labels?: string[];
}

type Feeds = Record<string, ort.Tensor>;

export class LanguageModel {
	private lensSession?: Promise<ort.InferenceSession | undefined>;
	/** Element type of the residual stream as the model computes it (fp16 exports: 'float16'). */
	private residualType: FloatType;
	private plainSession?: Promise<ort.InferenceSession>;

	private constructor(
		readonly files: ModelFiles,
		readonly info: ModelInfo,
		readonly map: GraphMap,
		readonly tokenizer: Tokenizer,
		readonly config: ModelConfig,
		private readonly proto: ModelProto,
		private readonly index: GraphIndex,
		private readonly session: ort.InferenceSession,
		private readonly options: LoadOptions,
		private readonly cacheShape: Array<readonly number[]>,
		/** Element type of the past key/value inputs. */
		private readonly cacheType: FloatType,
	) {
		this.residualType = cacheType;
	}

	static async load(files: ModelFiles, options: LoadOptions = {}): Promise<LanguageModel> {
		setLogLevel(options.verbose);
		const config = files.configFile ? readModelConfig(files.configFile) : files.genaiConfigFile ? readGenaiConfig(files.genaiConfigFile) : {};
		const tokenizer = await loadTokenizer(files.tokenizerDir);
		const {proto, index, map} = loadGraph(files);
		if (map.inputs.unknown.length > 0) {
			throw new UserError(`${files.onnx} has inputs lmscope cannot fill: ${map.inputs.unknown.join(', ')}; name them in an issue or re-export with input_ids, attention_mask, position_ids and past_key_values.N.key/value`);
		}
		const session = await createSession(serializeModel(instrumentModel(proto, map, index)), files.onnx, options);
		const cacheShape = map.inputs.cache.map(({past}) => cacheDims(index, past, config, map.inputs.cacheSequenceAxis));
		const heads = config.heads ?? map.fused?.attention[0]?.heads ?? cacheShape[0]?.[map.inputs.cacheSequenceAxis - 1] ?? 0;
		const info: ModelInfo = {
			name: files.name,
			file: files.onnx,
			layers: map.layers.length,
			heads,
			width: config.width ?? embeddingWidth(index, map),
			vocabSize: map.embeddingRows || config.vocabSize || tokenizer.vocabSize,
			context: config.context ?? positionRows(index, map),
			provider: options.device ?? 'cpu',
			hasCache: map.inputs.cache.length > 0,
			task: map.task,
			labels: map.task === 'classification' ? classLabels(index, map, config) : undefined,
		};
		const cacheType = map.inputs.cache[0] && index.declaredType(map.inputs.cache[0].past)?.elemType === FLOAT16 ? 'float16' : 'float32';
		return new LanguageModel(files, info, map, tokenizer, config, proto, index, session, options, cacheShape, cacheType);
	}

	/** Generation needs next-token logits: a sequence classifier has none. */
	requireGeneration(): void {
		if (this.info.task === 'classification') {
			throw new UserError(`${this.info.name} is a sequence classifier (classes: ${this.info.labels!.join(', ')}): it does not generate; use \`lmscope trace\` or the inspector to see its class probabilities`);
		}
	}

	get eosTokenId(): number | undefined {
		return this.tokenizer.eosTokenId ?? this.config.eosTokenId;
	}

	/** Tokenize a prompt, checking it fits the model's embedding and context. */
	encode(text: string, what = 'the prompt'): number[] {
		if (text.length === 0) throw new UserError(`${what} is empty: give some text to run the model on`);
		const ids = this.tokenizer.encode(text);
		if (ids.length === 0) throw new UserError(`${what} produced no tokens: give some text to run the model on`);
		const rows = this.map.embeddingRows;
		const bad = rows > 0 ? ids.find(id => id >= rows) : undefined;
		if (bad !== undefined) {
			throw new UserError(
				`${this.files.tokenizerDir}/tokenizer.json does not match ${this.files.onnx}: token ${JSON.stringify(this.tokenizer.piece(bad))} has id ${bad} but the model's vocabulary has ${rows} tokens; use the tokenizer the model was trained with (--tokenizer DIR)`,
			);
		}
		this.checkLength(ids.length, what);
		return ids;
	}

	checkLength(length: number, what = 'the prompt'): void {
		const context = this.info.context;
		if (context !== undefined && length > context) {
			throw new UserError(`${what} is ${length} tokens but ${this.info.name} takes at most ${context}: shorten it`);
		}
	}

	/** One forward pass over `ids` with no cache. */
	async forward(ids: number[], want: Want = {logits: 'all'}): Promise<Trace> {
		return (await this.run(ids, 0, this.emptyCache(), want)).trace;
	}

	/**
	 * Run `newIds` at positions start.. with the given cache (from earlier tokens); returns the
	 * trace of the new rows and the cache extended by them.
	 */
	async run(newIds: number[], start: number, cache: ort.Tensor[], want: Want, allIds?: number[]): Promise<{trace: Trace; cache: ort.Tensor[]}> {
		const inputs = this.map.inputs;
		this.checkLength(start + newIds.length, 'the sequence');
		const feeds = this.feeds(newIds, start, cache);
		const fetch = [this.map.logits, ...inputs.cache.map(c => c.present)];
		const layers = this.map.layers;
		layers.forEach((layer, l) => {
			if (wantsAttention(want, l)) fetch.push(layer.attention);
			if (want.residual) fetch.push(layer.residual);
			if (want.mlp) fetch.push(layer.mlp);
		});
		if (want.residual) fetch.push(this.map.embedding);
		let out: ort.InferenceSession.OnnxValueMapType;
		try {
			out = await this.session.run(feeds, [...new Set(fetch)], {logSeverityLevel: this.options.verbose ? 2 : 3});
		} catch (error) {
			throw new UserError(`${this.files.onnx} failed to run (${firstLine(error)}): the export may not match lmscope's inputs; see \`lmscope graph\``);
		}
		const logitsTensor = out[this.map.logits]!;
		const vocabSize = Number(logitsTensor.dims.at(-1));
		const rows = newIds.length;
		// Internals come back in float32 whatever the model's precision (fp16 exports are converted).
		let logits = asFloat32(logitsTensor.data);
		// A classifier's logits are one row for the whole sequence.
		const lastOnly = want.logits !== 'all' || this.map.task === 'classification';
		if (lastOnly && logits.length > vocabSize) logits = logits.slice((rows - 1) * vocabSize, rows * vocabSize);
		const floats = (name: string) => (out[name] ? asFloat32(out[name]!.data) : undefined);
		const embedding = out[this.map.embedding];
		if (embedding) this.residualType = embedding.type === 'float16' ? 'float16' : 'float32';
		const firstAttention = layers.map(l => out[l.attention]).find(Boolean);
		const residual = want.residual ? [this.map.embedding, ...layers.map(l => l.residual)].map(n => floats(n)!) : undefined;
		const mlp = want.mlp ? layers.map(l => floats(l.mlp)!) : undefined;
		const trace: Trace = {
			ids: allIds ?? newIds,
			start,
			rows,
			vocabSize,
			logits,
			logitsRows: lastOnly ? 1 : rows,
			attention: layers.map(l => floats(l.attention)),
			heads: firstAttention ? Number(firstAttention.dims[1]) : this.info.heads,
			residual,
			width: residual ? residual[0]!.length / rows : this.info.width,
			mlp,
			inner: mlp ? mlp[0]!.length / rows : 0,
		};
		return {trace, cache: inputs.cache.map(c => out[c.present]!)};
	}

	/** The cache cut back to its first `length` positions (to undo generated tokens). Batch 1. */
	truncateCache(cache: ort.Tensor[], length: number): ort.Tensor[] {
		const axis = this.map.inputs.cacheSequenceAxis;
		return cache.map(tensor => {
			const dims = tensor.dims.map(Number);
			const total = dims[axis]!;
			if (length >= total) return tensor;
			// Contiguous blocks: everything before the sequence axis is "outer", after it "inner".
			const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
			const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
			const data = tensor.data as Float32Array | Uint16Array;
			const out = new (data.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(outer * length * inner);
			for (let o = 0; o < outer; o++) out.set(data.subarray(o * total * inner, (o * total + length) * inner) as never, o * length * inner);
			return new ort.Tensor(tensor.type as FloatType, out, dims.map((d, i) => (i === axis ? length : d)));
		});
	}

	/** Past key/values of length 0, to start a sequence. */
	emptyCache(): ort.Tensor[] {
		return this.cacheShape.map(dims => (this.cacheType === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), [...dims]) : new ort.Tensor('float32', new Float32Array(0), [...dims])));
	}

	/**
	 * Logit lens: the model's own final norm and unembedding applied to residual-stream rows
	 * ([n, width] flat). Returns logits [n, vocab], or undefined when the graph's logits depend on
	 * more than the final residual stream.
	 */
	async lensLogits(rows: Float32Array, n: number): Promise<Float32Array | undefined> {
		this.lensSession ??= (async () => {
			const lens = lensModel(this.proto, this.index, this.map, this.residualType === 'float16' ? FLOAT16 : FLOAT32);
			return lens ? createSession(serializeModel(lens), `${this.files.onnx} (logit lens)`, this.options) : undefined;
		})();
		const session = await this.lensSession;
		if (!session) return undefined;
		const width = rows.length / n;
		const input = session.inputNames[0]!;
		const residual = this.residualType === 'float16' ? new ort.Tensor('float16', toHalfBits(rows), [1, n, width]) : new ort.Tensor('float32', rows, [1, n, width]);
		const out = await session.run({[input]: residual});
		return asFloat32(out[session.outputNames[0]!]!.data);
	}

	/** The model as exported, with no outputs added (for measuring instrumentation overhead). */
	async forwardPlain(ids: number[]): Promise<Float32Array> {
		this.plainSession ??= createSession(serializeModel(this.proto), this.files.onnx, this.options);
		const session = await this.plainSession;
		const out = await session.run(this.feeds(ids, 0, this.emptyCache()), [this.map.logits], {logSeverityLevel: this.options.verbose ? 2 : 3});
		return asFloat32(out[this.map.logits]!.data);
	}

	/** Inputs for `newIds` at positions start.., after `cache` (the keys/values of positions 0..start-1). */
	private feeds(newIds: number[], start: number, cache: ort.Tensor[]): Feeds {
		const inputs = this.map.inputs;
		const total = start + newIds.length;
		const feeds: Feeds = {[inputs.inputIds]: this.intTensor(newIds, [1, newIds.length])};
		if (inputs.attentionMask) feeds[inputs.attentionMask] = this.intTensor(new Array<number>(total).fill(1), [1, total]);
		if (inputs.tokenTypeIds) feeds[inputs.tokenTypeIds] = this.intTensor(new Array<number>(newIds.length).fill(0), [1, newIds.length]);
		if (inputs.positionIds) feeds[inputs.positionIds] = this.intTensor(newIds.map((_, i) => start + i), [1, newIds.length]);
		inputs.cache.forEach(({past}, i) => {
			feeds[past] = cache[i]!;
		});
		return feeds;
	}

	private intTensor(values: number[], dims: number[]): ort.Tensor {
		if (this.map.inputs.integerType === 'int32') return new ort.Tensor('int32', Int32Array.from(values), dims);
		return new ort.Tensor('int64', BigInt64Array.from(values, v => BigInt(v)), dims);
	}
}

type FloatType = 'float32' | 'float16';
const FLOAT32 = 1;
const FLOAT16 = 10;

function setLogLevel(verbose?: boolean): void {
	ort.env.logLevel = verbose ? 'warning' : 'error';
}

async function createSession(bytes: Uint8Array, file: string, options: LoadOptions): Promise<ort.InferenceSession> {
	try {
		return await ort.InferenceSession.create(bytes, {
			executionProviders: options.device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
			graphOptimizationLevel: 'all',
			logSeverityLevel: options.verbose ? 2 : 3,
		});
	} catch (error) {
		throw new UserError(`${file} cannot be loaded by ONNX Runtime (${firstLine(error)}): re-export the model or check the file is complete`);
	}
}

/** Shape of an empty past tensor: the declared dims, batch 1, the sequence axis 0. */
function cacheDims(index: GraphIndex, name: string, config: ModelConfig, sequenceAxis: number): number[] {
	const dims = index.declaredType(name)?.dims ?? [];
	const heads = config.heads ?? 0;
	const headDim = config.width && config.heads ? config.width / config.heads : 0;
	if (dims.length < 3) return [1, heads, 0, headDim];
	return dims.map((d, i) => {
		if (i === sequenceAxis) return 0;
		if (d.value.case === 'dimValue') return Number(d.value.value);
		if (d.value.case === 'dimParam' && /batch/i.test(d.value.value)) return 1;
		// An unnamed size: for the usual [batch, heads, seq, dim] layout, take it from config.json.
		return i === sequenceAxis - 1 ? heads : i === sequenceAxis + 1 ? headDim : 1;
	});
}

function classLabels(index: GraphIndex, map: GraphMap, config: ModelConfig): string[] {
	const last = index.declaredType(map.logits)?.dims.at(-1)?.value;
	const count = last?.case === 'dimValue' ? Number(last.value) : config.labels?.length ?? 0;
	return Array.from({length: count}, (_, i) => config.labels?.[i] ?? `LABEL_${i}`);
}

/** Width of the token embedding (the residual stream's width), for models without config.json. */
function embeddingWidth(index: GraphIndex, map: GraphMap): number {
	const weight = index.initializers.get(map.unembedding);
	return weight?.dims.length === 2 ? Math.min(...weight.dims.map(Number)) : 0;
}

/** Rows of a learned position embedding (the longest sequence it can take), if there is one. */
function positionRows(index: GraphIndex, map: GraphMap): number | undefined {
	const positions = map.inputs.positionIds;
	if (!positions) return undefined;
	for (const node of index.consumersOf(positions)) {
		if (node.opType !== 'Gather') continue;
		const init = index.weightInitializer(node.input[0]!);
		if (init?.dims.length === 2) return Number(init.dims[0]);
	}
	return undefined;
}
