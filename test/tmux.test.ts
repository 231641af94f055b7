/**
 * End to end: the real `lmscope` binary in tmux. Keys go in with send-keys, the screen comes back
 * with capture-pane; quitting (q, Ctrl-C, SIGTERM, SIGHUP) must give the shell its screen back
 * with the cursor visible and the alternate screen off.
 */
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import path from 'node:path';
import {after, describe, it} from 'node:test';
import {ROOT, goldens} from './helpers.js';

const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
const SOCKET = `lmscope-test-${process.pid}`;
const CLI = path.join(ROOT, 'dist', 'cli.js');

function tmux(...args: string[]): string {
	return execFileSync('tmux', ['-L', SOCKET, ...args], {encoding: 'utf8'});
}

const screen = (session: string) => tmux('capture-pane', '-p', '-t', session);
const flag = (session: string, name: string) => tmux('display-message', '-p', '-t', session, `#{${name}}`).trim();

async function waitFor(session: string, test: (text: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
	const start = Date.now();
	let text = '';
	while (Date.now() - start < timeoutMs) {
		text = screen(session);
		if (test(text)) return text;
		await new Promise(resolve => setTimeout(resolve, 50));
	}
	throw new Error(`timed out waiting for ${what}; screen:\n${text}`);
}

/** A shell in a fresh tmux session that has printed a marker, then lmscope started from it. */
async function startInspector(session: string, prompt: string, flags = '', ready = (t: string) => /lmscope default 4L×4H×128/.test(t) && /ran \d+ prompt tokens/.test(t)): Promise<void> {
	tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', 'bash --norc --noprofile');
	tmux('send-keys', '-t', session, `export PS1='$ '; echo SHELL-MARKER-${session}`, 'Enter');
	await waitFor(session, t => t.includes(`SHELL-MARKER-${session}\n`), 'the shell');
	tmux('send-keys', '-t', session, `node ${CLI} ${JSON.stringify(prompt)} ${flags}`, 'Enter');
	await waitFor(session, ready, 'the first frame');
}

async function assertRestored(session: string): Promise<void> {
	const text = await waitFor(session, t => t.includes(`SHELL-MARKER-${session}`) && /^\$\s*$/m.test(t), 'the shell screen and prompt to come back');
	assert.doesNotMatch(text, /lmscope default 4L|Attention L\d|Logit lens/, 'nothing of the inspector is left on the shell screen');
	assert.equal(flag(session, 'alternate_on'), '0', 'alternate screen off');
	assert.equal(flag(session, 'cursor_flag'), '1', 'cursor visible');
	// Cooked mode again: typed text echoes and a command runs.
	tmux('send-keys', '-t', session, 'echo cooked-$((40+2))', 'Enter');
	await waitFor(session, t => t.includes('cooked-42'), 'the shell to run a command (cooked mode)');
}

describe('lmscope in tmux', {skip: HAS_TMUX ? false : 'tmux is not installed (.ci/run installs it)'}, () => {
	after(() => {
		spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
	});
	const golden = goldens()[2]!;

	it('runs, answers keys, and q restores the shell screen', async () => {
		await startInspector('keys', golden.prompt);
		assert.equal(flag('keys', 'alternate_on'), '1', 'alternate screen while running');
		tmux('send-keys', '-t', 'keys', 'j');
		await waitFor('keys', t => t.includes('Attention L1 head 0'), 'layer 1');
		tmux('send-keys', '-t', 'keys', 'n', 'n');
		await waitFor('keys', t => new RegExp(`${golden.ids.length + 2} tok │ step 2`).test(t), 'two steps');
		tmux('send-keys', '-t', 'keys', '?');
		await waitFor('keys', t => t.includes('▶ Help'), 'the help overlay');
		tmux('send-keys', '-t', 'keys', 'Escape');
		await waitFor('keys', t => !t.includes('▶ Help'), 'the help to close');
		tmux('resize-window', '-t', 'keys', '-x', '70', '-y', '20');
		await waitFor('keys', t => t.includes('terminal too small (70 x 20, need 80 x 24)'), 'the too-small screen');
		tmux('resize-window', '-t', 'keys', '-x', '100', '-y', '30');
		await waitFor('keys', t => t.includes('Attention L1'), 'the layout after enlarging');
		tmux('send-keys', '-t', 'keys', 'q');
		await assertRestored('keys');
	});

	it('the encoder classifier: class probabilities, class lens, n refused, q restores', async () => {
		const model = path.join(ROOT, 'models', 'classifier');
		await startInspector('classifier', 'And the LORD spake unto Moses, saying,', `--model ${model}`, t => /classified \d+ tokens: law/.test(t));
		const text = await waitFor('classifier', t => t.includes('Class lens') && /L1=out +law/.test(t), 'the class lens');
		assert.match(text, /Classes \(whole input\)/);
		assert.match(text, /classifier: 6 classes/);
		tmux('send-keys', '-t', 'classifier', 'n');
		await waitFor('classifier', t => t.includes('a sequence classifier does not generate'), 'the refusal');
		tmux('send-keys', '-t', 'classifier', 'q');
		await assertRestored('classifier');
	});

	it('Ctrl-C restores the terminal (started with a breakpoint flag)', async () => {
		await startInspector('ctrlc', 'And the king said', `--break 'p < 0.2'`);
		assert.match(screen('ctrlc'), /break: p < 0\.2/);
		tmux('send-keys', '-t', 'ctrlc', 'C-c');
		await assertRestored('ctrlc');
	});

	for (const signal of ['TERM', 'HUP'] as const) {
		it(`SIG${signal} restores the terminal`, async () => {
			const session = `sig${signal.toLowerCase()}`;
			await startInspector(session, 'And the king said');
			const shellPid = flag(session, 'pane_pid');
			// The shell's only child is lmscope (its process title, set by meow, is "lmscope").
			const child = execFileSync('pgrep', ['-P', shellPid], {encoding: 'utf8'}).trim().split('\n')[0]!;
			process.kill(Number(child), `SIG${signal}`);
			await assertRestored(session);
		});
	}
});
