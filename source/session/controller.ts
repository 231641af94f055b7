/**
 * The session controller: owns the model, the decoder and the session state; turns commands into
 * new states. Pure changes go through the reducer; model work (running the prompt, stepping,
 * continuing, undo, the logit lens) is asynchronous, one operation at a time, and never blocks
 * the event loop between tokens, so key presses are handled while a `continue` runs and `stop`
 * takes effect at the next token. Knows nothing of the terminal.
 */
import {defaultDetectors} from '../analysis/detectors/index.js';
import {runDetectors, type Detector, type Finding} from '../analysis/findings.js';
import {entropy, softmax, topK} from '../analysis/distribution.js';
import {classLens, logitLensOfStreams} from '../analysis/logitLens.js';
import {isUserError} from '../errors.js';
import {Decoder} from '../model/decoder.js';
import type {LanguageModel} from '../model/languageModel.js';
import {chooseToken, seededRandom} from '../model/sampling.js';
import {WANT_ALL} from '../model/trace.js';
import {appendRating, DEFAULT_RATINGS_PATH, readRatings, type Rating} from '../ratings/ratingStore.js';
import {BreakpointSyntaxError, firedBreakpoint, parseBreakpoint, type StepFacts} from './breakpoints.js';
import {reduce, type Command} from './reducer.js';
import {positionsFromTrace, type PositionData} from './sequence.js';
import {initialState, generatedCount, type GenerationSettings, type SessionState} from './state.js';

export const LENS_TOP_K = 5;

export interface ControllerOptions {
	detectors?: readonly Detector[];
	/** Where ratings go (JSONL), and who is rating. */
	ratingsPath?: string;
	rater?: string;
}

export interface RatingValues {
	fluency: number;
	grammar: number;
	logic: number;
	note: string;
}

type StepOutcome = {ok: true; facts: StepFacts} | {ok: false};

export class SessionController {
	private state: SessionState;
	private readonly listeners = new Set<() => void>();
	private readonly decoder: Decoder;
	private readonly detectors: readonly Detector[];
	private readonly lensCache = new Map<number, NonNullable<SessionState['lens']>['rows']>();
	/** The positions a class lens was started for (classifiers). */
	private classLensOf?: readonly PositionData[];
	private random: () => number;
	private stopRequested = false;
	readonly ratingsPath: string;
	readonly rater: string;
	private busy: Promise<void> = Promise.resolve();

	constructor(
		readonly model: LanguageModel,
		prompt: string,
		settings: GenerationSettings,
		options: ControllerOptions = {},
	) {
		this.state = initialState(model.info, prompt, settings);
		this.decoder = new Decoder(model);
		this.detectors = options.detectors ?? defaultDetectors();
		this.ratingsPath = options.ratingsPath ?? DEFAULT_RATINGS_PATH;
		this.rater = options.rater ?? 'anonymous';
		this.random = seededRandom(settings.seed);
	}

	getState = (): SessionState => this.state;

	subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	/** Resolves when the current (and any queued) model work is done. */
	whenIdle(): Promise<void> {
		return this.busy;
	}

	private set(next: SessionState): void {
		if (next === this.state) return;
		const moved = next.cursor.token !== this.state.cursor.token || next.positions !== this.state.positions;
		this.state = next;
		for (const listener of this.listeners) listener();
		if (moved) this.updateLens();
	}

	/** Pure commands: cursor, focus, toggles, overlays. */
	dispatch(command: Command): void {
		this.set(reduce(this.state, command));
	}

	/** Queue model work so operations never overlap. */
	private enqueue(work: () => Promise<void>): Promise<void> {
		this.busy = this.busy.then(work).catch(error => {
			this.set({...this.state, activity: 'idle', message: isUserError(error) ? error.message : `error: ${(error as Error).message}`});
		});
		return this.busy;
	}

	private isBusy(): boolean {
		return this.state.activity !== 'idle';
	}

	/** Tokenize and run a prompt: replaces the whole sequence. */
	runPrompt(prompt: string = this.state.prompt): Promise<void> {
		if (this.state.activity === 'running' || this.state.activity === 'continuing') {
			this.set({...this.state, message: 'busy: stop the running work first (x)'});
			return this.busy;
		}
		return this.enqueue(async () => {
			let ids: number[];
			try {
				ids = this.model.encode(prompt);
			} catch (error) {
				if (!isUserError(error)) throw error;
				this.set({...this.state, activity: 'idle', message: error.message});
				return;
			}
			this.set({...this.state, activity: 'running', message: undefined});
			if (this.isClassifier) return this.classify(prompt, ids);
			const trace = await this.decoder.prefill(ids, WANT_ALL);
			const positions = positionsFromTrace(trace, this.piece, {generated: false, keepLogitsFrom: ids.length - 1});
			this.random = seededRandom(this.state.settings.seed);
			this.lensCache.clear();
			this.set({
				...this.state,
				prompt,
				promptLength: ids.length,
				positions,
				findings: [],
				selectedFinding: 0,
				finished: undefined,
				stop: undefined,
				activity: 'idle',
				cursor: {...this.state.cursor, token: ids.length - 1},
				message: `ran ${ids.length} prompt tokens`,
			});
			this.refreshFindings();
			this.loadEarlierRatings();
		});
	}

	private get isClassifier(): boolean {
		return this.model.info.task === 'classification';
	}

	/** A sequence classifier: one full pass, class probabilities for the whole input, no generation. */
	private async classify(prompt: string, ids: number[]): Promise<void> {
		const trace = await this.model.forward(ids, WANT_ALL);
		const positions = positionsFromTrace(trace, this.piece, {generated: false, keepLogitsFrom: Infinity, classification: true});
		const probs = softmax(trace.logits);
		const classes = {top: topK(probs, probs.length), entropy: entropy(probs)};
		const best = classes.top[0]!;
		this.set({
			...this.state,
			prompt,
			promptLength: ids.length,
			positions,
			classes,
			lens: undefined,
			findings: [],
			selectedFinding: 0,
			activity: 'idle',
			// The classification head reads the first token ([CLS]): start there.
			cursor: {...this.state.cursor, token: 0},
			message: `classified ${ids.length} tokens: ${this.model.info.labels![best.id]} (${best.probability.toFixed(3)})`,
		});
		this.loadEarlierRatings();
	}

	/** True (and says why in the status line) when this model cannot generate: a classifier. */
	private noGeneration(): boolean {
		if (!this.isClassifier) return false;
		this.set({...this.state, message: 'a sequence classifier does not generate: edit the prompt (e) to classify another text'});
		return true;
	}

	/** Generate one token. */
	step(): Promise<void> {
		if (this.isBusy() || this.noGeneration()) return this.busy;
		return this.enqueue(async () => {
			this.set({...this.state, activity: 'running'});
			const outcome = await this.stepOnce();
			this.set({...this.state, activity: 'idle', message: outcome.ok ? describeStep(this.state, outcome.facts) : this.state.message});
		});
	}

	/** Generate until a breakpoint, end-of-sequence, the context, `maxNewTokens`, or `stop()`. */
	continueRun(): Promise<void> {
		if (this.isBusy() || this.noGeneration()) return this.busy;
		this.stopRequested = false;
		return this.enqueue(async () => {
			this.set({...this.state, activity: 'continuing', message: 'continuing ... (x to stop)'});
			let message = `generated ${this.state.settings.maxNewTokens} tokens (the continue limit)`;
			let hitLimit = true;
			for (let n = 0; n < this.state.settings.maxNewTokens; n++) {
				hitLimit = false;
				if (this.stopRequested) {
					message = `stopped after ${n} tokens`;
					break;
				}
				const outcome = await this.stepOnce();
				if (!outcome.ok) {
					message = this.state.message ?? 'stopped';
					break;
				}
				const fired = firedBreakpoint(this.state.breakpoints, outcome.facts);
				if (fired) {
					message = `breakpoint ${fired.source} hit at token ${this.state.positions.length - 1}: ${describeStep(this.state, outcome.facts)}`;
					break;
				}
				if (this.state.finished) {
					message = this.state.message ?? 'finished';
					break;
				}
				hitLimit = true;
				// Let key presses (stop, cursor moves) through between tokens.
				await new Promise(resolve => setImmediate(resolve));
			}
			this.set({...this.state, activity: 'idle', message, stop: hitLimit ? 'limit' : this.state.stop});
			if (hitLimit) this.refreshFindings();
		});
	}

	/** Ask a running `continue` to stop after the token in progress. */
	stop(): void {
		if (this.state.activity === 'continuing') this.stopRequested = true;
	}

	/** Remove the last generated token. */
	undo(): Promise<void> {
		if (this.isBusy() || this.noGeneration()) return this.busy;
		return this.enqueue(async () => {
			if (generatedCount(this.state) === 0) {
				this.set({...this.state, message: 'nothing to undo: no generated tokens'});
				return;
			}
			const length = this.state.positions.length - 1;
			const removed = this.state.positions[length]!;
			this.decoder.truncate(length);
			this.lensCache.delete(length);
			const positions = this.state.positions.slice(0, length);
			this.set({
				...this.state,
				positions,
				finished: undefined,
				stop: undefined,
				cursor: {...this.state.cursor, token: Math.min(this.state.cursor.token, length - 1)},
				message: `undid ${JSON.stringify(removed.text)}`,
			});
			this.refreshFindings();
		});
	}

	addBreakpoint(text: string): void {
		try {
			const breakpoint = parseBreakpoint(text);
			this.set({...this.state, breakpoints: [...this.state.breakpoints, breakpoint], message: `breakpoint set: ${breakpoint.source}`});
		} catch (error) {
			if (!(error instanceof BreakpointSyntaxError)) throw error;
			this.set({...this.state, message: error.message});
		}
	}

	clearBreakpoints(): void {
		this.set({...this.state, breakpoints: [], message: 'breakpoints cleared'});
	}

	/** The generated text (what a rating is about). */
	outputText(): string {
		return this.state.positions
			.slice(this.state.promptLength)
			.filter(p => p.id !== this.model.eosTokenId)
			.map(p => p.text)
			.join('');
	}

	/** Save a rating of the current output; resolves once it is fsync'd (or the error is shown). */
	rate(values: RatingValues): Promise<void> {
		// Queued like model work, so it never interleaves with a step that changes the output.
		return this.enqueue(() => this.saveRating(values));
	}

	private async saveRating(values: RatingValues): Promise<void> {
		if (generatedCount(this.state) === 0) {
			this.set({...this.state, message: 'nothing to rate yet: generate some output first (n or c)'});
			return;
		}
		const {settings} = this.state;
		const rating: Rating = {
			version: 1,
			time: new Date().toISOString(),
			rater: this.rater,
			model: this.model.info.name,
			prompt: this.state.prompt,
			output: this.outputText(),
			settings: {temperature: settings.temperature, topK: settings.topK, topP: settings.topP, seed: settings.seed, maxNewTokens: settings.maxNewTokens},
			...values,
		};
		try {
			await appendRating(this.ratingsPath, rating);
		} catch (error) {
			if (!isUserError(error)) throw error;
			this.set({...this.state, message: error.message});
			return;
		}
		this.set({
			...this.state,
			earlierRatings: [...this.state.earlierRatings, rating],
			message: `rating saved: fluency ${values.fluency}, grammar ${values.grammar}, logic ${values.logic} (${this.ratingsPath})`,
		});
	}

	private loadEarlierRatings(): void {
		try {
			const {ratings, problems} = readRatings(this.ratingsPath);
			const earlier = ratings.filter(r => r.prompt === this.state.prompt);
			const notes = [
				earlier.length > 0 ? `${earlier.length} earlier rating${earlier.length === 1 ? '' : 's'} of this prompt (r to see them)` : '',
				problems.length > 0 ? `${problems.length} unreadable line${problems.length === 1 ? '' : 's'} in ${this.ratingsPath} skipped (line ${problems.map(p => p.line).join(', ')})` : '',
			].filter(Boolean);
			this.set({...this.state, earlierRatings: earlier, message: notes.length ? `${this.state.message} · ${notes.join(' · ')}` : this.state.message});
		} catch (error) {
			if (!isUserError(error)) throw error;
			this.set({...this.state, message: error.message});
		}
	}

	/** Set (or clear, with an empty text) the reference the output is checked against. */
	setReference(text: string): void {
		const reference = text.trim() ? text : undefined;
		this.set({...this.state, reference, message: reference ? `reference set (${reference.length} characters)` : 'reference cleared'});
		this.refreshFindings();
	}

	setSettings(settings: Partial<GenerationSettings>): void {
		this.set({...this.state, settings: {...this.state.settings, ...settings}});
	}

	private piece = (id: number): string => this.model.tokenizer.piece(id);

	/** One generated token: sample from the last position's logits, run it, record it. */
	private async stepOnce(): Promise<StepOutcome> {
		const state = this.state;
		if (state.finished) {
			this.set({...state, message: state.finished === 'eos' ? 'the model ended the sequence (end-of-sequence): undo (u) to go on' : `the context of ${state.model.context} tokens is full`});
			return {ok: false};
		}
		const last = state.positions.at(-1);
		if (!last?.logits) {
			this.set({...state, message: 'run a prompt first'});
			return {ok: false};
		}
		const context = state.model.context ?? Infinity;
		if (state.positions.length >= context) {
			this.set({...state, finished: 'context', stop: 'context', message: `the context of ${context} tokens is full`});
			this.refreshFindings();
			return {ok: false};
		}
		const id = chooseToken(last.logits, state.settings, this.random);
		const trace = await this.decoder.step(id, {...WANT_ALL, logits: 'all'});
		const [position] = positionsFromTrace(trace, this.piece, {generated: true, previousLogits: last.logits, keepLogitsFrom: 0});
		const positions: PositionData[] = [...state.positions, position!];
		const eos = id === this.model.eosTokenId;
		const before = this.state.findings;
		this.set({
			...this.state,
			positions,
			finished: eos ? 'eos' : undefined,
			stop: eos ? 'eos' : undefined,
			message: eos ? 'the model ended the sequence (end-of-sequence)' : this.state.message,
			// Follow generation when the cursor was on the last token.
			cursor: this.state.cursor.token === state.positions.length - 1 ? {...this.state.cursor, token: positions.length - 1} : this.state.cursor,
		});
		const findings = this.refreshFindings();
		const key = (f: Finding) => `${f.category}:${f.start}:${f.end}:${f.explanation}`;
		const old = new Set(before.map(key));
		return {
			ok: true,
			facts: {
				text: position!.text,
				probability: position!.probability ?? 0,
				top1: last.next?.top[0]?.probability ?? 0,
				entropy: last.next?.entropy ?? 0,
				newFindings: findings.filter(f => !old.has(key(f))),
			},
		};
	}

	private refreshFindings(): readonly Finding[] {
		// The detectors judge generated text: a classifier has none.
		if (this.detectors.length === 0 || this.isClassifier) return this.state.findings;
		const positions = this.state.positions;
		const findings = runDetectors(this.detectors, {
			tokens: positions.map((p, i) => ({id: p.id, text: p.text, probability: p.probability, entropy: positions[i - 1]?.next?.entropy, generated: p.generated})),
			promptLength: this.state.promptLength,
			stop: this.state.stop,
			eosTokenId: this.model.eosTokenId,
			reference: this.state.reference,
		});
		this.set({...this.state, findings, selectedFinding: Math.min(this.state.selectedFinding, Math.max(0, findings.length - 1))});
		return findings;
	}

	/** Compute (or fetch from cache) the logit lens at the cursor token, off the key path. */
	private updateLens(): void {
		if (this.isClassifier) return this.updateClassLens();
		const position = this.state.cursor.token;
		const data = this.state.positions[position];
		if (!data) return;
		const cached = this.lensCache.get(position);
		if (cached) {
			if (this.state.lens?.position !== position || this.state.lens.rows !== cached) this.set({...this.state, lens: {position, rows: cached}});
			return;
		}
		void logitLensOfStreams([data.residual], (rows, n) => this.model.lensLogits(rows, n), LENS_TOP_K).then(result => {
			const rows = result ? result[0]! : 'unavailable';
			// The sequence may have changed while the lens ran: only keep it if the token is the same.
			if (this.state.positions[position] !== data) return;
			this.lensCache.set(position, rows);
			if (this.state.cursor.token === position) this.set({...this.state, lens: {position, rows}});
		});
	}

	/** A classifier's class lens: the head on every layer's hidden states, once per input. */
	private updateClassLens(): void {
		const positions = this.state.positions;
		// Once per input: cursor moves while it runs must not start it again.
		if (positions.length === 0 || this.state.lens?.position === 'sequence' || this.classLensOf === positions) return;
		this.classLensOf = positions;
		const n = positions.length;
		const width = positions[0]!.residual[0]!.length;
		const streams = positions[0]!.residual.map((_, layer) => {
			const rows = new Float32Array(n * width);
			positions.forEach((p, i) => rows.set(p.residual[layer]!, i * width));
			return rows;
		});
		void classLens(streams, n, (rows, count) => this.model.lensLogits(rows, count), LENS_TOP_K).then(result => {
			if (this.state.positions !== positions) return;
			this.set({...this.state, lens: {position: 'sequence', rows: result ?? 'unavailable'}});
		});
	}
}

function describeStep(state: SessionState, facts: StepFacts): string {
	return `${JSON.stringify(facts.text)} p=${facts.probability.toFixed(3)} (top-1 ${facts.top1.toFixed(3)}, entropy ${facts.entropy.toFixed(2)})`;
}
