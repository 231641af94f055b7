/**
 * Inspector figures: key-press-to-frame latency for cursor moves (Ink rendering to an in-memory
 * terminal, as in production: same App, same throttle settings), and launch-to-first-full-frame
 * of the real binary in tmux.
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {EventEmitter} from 'node:events';
import path from 'node:path';
import {render} from 'ink';
import type {LanguageModel} from '../source/model/languageModel.js';
import {SessionController} from '../source/session/controller.js';
import {App} from '../source/ui/App.js';
import {createTheme} from '../source/ui/theme.js';
import {ThemeContext} from '../source/ui/themeContext.js';
import {median, percentile} from './measure.js';

/** A terminal in memory: Ink writes frames to it; we note when each write happens. */
class FakeTerminal extends EventEmitter {
	columns = 120;
	rows = 40;
	isTTY = true;
	lastWrite = 0;
	writes = 0;
	write(_chunk: string): boolean {
		this.lastWrite = performance.now();
		this.writes++;
		return true;
	}
}

class FakeInput extends EventEmitter {
	isTTY = true;
	data: string[] = [];
	setRawMode() {
		return this;
	}
	setEncoding() {}
	ref() {}
	unref() {}
	resume() {}
	pause() {}
	read(): string | null {
		return this.data.shift() ?? null;
	}
	press(key: string) {
		this.data.push(key);
		this.emit('readable');
	}
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** A prompt of about `tokens` tokens (the text repeats a verse; the actual count is reported). */
export function promptOf(model: LanguageModel, tokens: number): string {
	const verse = 'And the king said unto them, Go ye up unto the house of the LORD. ';
	let text = verse;
	while (model.tokenizer.encode(text).length < tokens) text += verse;
	const ids = model.tokenizer.encode(text).slice(0, tokens);
	return model.tokenizer.decode(ids);
}

export interface LatencyResult {
	tokens: number;
	medianMs: number;
	p95Ms: number;
	keys: number;
}

export async function keyLatency(model: LanguageModel, tokens: number, presses = 60): Promise<LatencyResult> {
	const controller = new SessionController(model, promptOf(model, tokens), {temperature: 0, topK: 0, topP: 1, seed: 0, maxNewTokens: 10});
	await controller.runPrompt();
	const stdout = new FakeTerminal();
	const stdin = new FakeInput();
	const instance = render(
		<ThemeContext.Provider value={createTheme(3)}>
			<App controller={controller} width={stdout.columns} height={stdout.rows} onQuit={() => {}} />
		</ThemeContext.Provider>,
		// Same settings as the real inspector (source/ui/inspect.tsx).
		{stdout: stdout as unknown as NodeJS.WriteStream, stderr: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream, exitOnCtrlC: false, patchConsole: false, maxFps: 60},
	);
	await sleep(100);
	const keys = ['h', 'h', 'j', 'l', 'k', 'h', ']', 'l'];
	const latencies: number[] = [];
	for (let i = 0; i < presses; i++) {
		const before = stdout.writes;
		const start = performance.now();
		stdin.press(keys[i % keys.length]!);
		while (stdout.writes === before && performance.now() - start < 1000) await new Promise(resolve => setImmediate(resolve));
		latencies.push(stdout.lastWrite - start);
		await sleep(40); // let the lens and any trailing frame settle, and stay clear of the frame throttle
	}
	instance.unmount();
	return {tokens: controller.getState().positions.length, medianMs: median(latencies), p95Ms: percentile(latencies, 95), keys: presses};
}

export interface LaunchResult {
	launchMs: number;
	nodeMs: number;
}

/** Time from starting `lmscope` in tmux to the first frame with the prompt's data on screen. */
export async function launchTime(cli: string, runs = 5): Promise<LaunchResult | undefined> {
	if (spawnSync('tmux', ['-V']).status !== 0) return undefined;
	const socket = `lmscope-bench-${process.pid}`;
	const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'});
	const times: number[] = [];
	const nodeTimes: number[] = [];
	try {
		for (let i = 0; i < runs; i++) {
			for (const [list, command, done] of [
				[times, `node ${cli} "The doctor said that"`, (t: string) => /ran \d+ prompt tokens/.test(t)],
				[nodeTimes, `node -e "console.log('node-ready')"`, (t: string) => t.includes('node-ready')],
			] as const) {
				const start = performance.now();
				tmux('new-session', '-d', '-s', 'b', '-x', '100', '-y', '30', command + '; sleep 5');
				while (!done(tmux('capture-pane', '-p', '-t', 'b')) && performance.now() - start < 10_000) await sleep(5);
				list.push(performance.now() - start);
				tmux('kill-session', '-t', 'b');
			}
		}
	} finally {
		spawnSync('tmux', ['-L', socket, 'kill-server']);
	}
	return {launchMs: median(times), nodeMs: median(nodeTimes)};
}

export const CLI = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'dist', 'cli.js');
