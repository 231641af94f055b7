/**
 * The terminal while the inspector runs: alternate screen, hidden cursor, raw mode (Ink's). One
 * cleanup routine restores all three on every way out: q, Ctrl-C, SIGTERM, SIGHUP, an uncaught
 * exception or rejection, and a plain process exit.
 */

const ENTER = '\x1b[?1049h\x1b[H\x1b[2J\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';

export interface TerminalStreams {
	stdout: NodeJS.WriteStream;
	stdin: NodeJS.ReadStream;
	stderr: NodeJS.WriteStream;
}

export interface FullScreen {
	/** Restore the terminal (idempotent). */
	restore(): void;
}

const SIGNAL_EXIT: Record<string, number> = {SIGINT: 130, SIGTERM: 143, SIGHUP: 129};

export function enterFullScreen({stdout, stdin, stderr}: TerminalStreams, beforeExit: () => void = () => {}): FullScreen {
	let restored = false;
	const restore = () => {
		if (restored) return;
		restored = true;
		try {
			if (stdin.isTTY) stdin.setRawMode(false);
		} catch {
			// The terminal may already be gone (SIGHUP): nothing left to restore.
		}
		try {
			stdout.write(LEAVE);
		} catch {
			// Same: a closed terminal cannot be written to.
		}
		stdout.off('resize', homeOnResize);
		process.off('exit', restore);
		for (const signal of Object.keys(SIGNAL_EXIT)) process.off(signal, onSignal);
		process.off('uncaughtException', onCrash);
		process.off('unhandledRejection', onCrash);
	};
	const onSignal = (signal: NodeJS.Signals) => {
		beforeExit();
		restore();
		process.exit(SIGNAL_EXIT[signal] ?? 1);
	};
	const onCrash = (error: unknown) => {
		beforeExit();
		restore();
		const text = error instanceof Error ? error.message : String(error);
		stderr.write(`lmscope: internal error: ${text.split('\n')[0]}\n`);
		if (process.env['LMSCOPE_DEBUG'] && error instanceof Error) stderr.write(`${error.stack}\n`);
		process.exit(1);
	};
	// Ink redraws by moving the cursor up over its previous frame. After a resize the terminal may
	// have moved the cursor (tmux keeps the bottom row when the window grows), so those relative moves
	// land too low and the frame scrolls: into the shell's scrollback, in tmux. Clearing and going home
	// first, before Ink's own resize handler runs, makes the redraw start at the top.
	const homeOnResize = () => stdout.write('\x1b[H\x1b[2J');
	stdout.write(ENTER);
	stdout.prependListener('resize', homeOnResize);
	process.on('exit', restore);
	for (const signal of Object.keys(SIGNAL_EXIT)) process.on(signal, onSignal);
	process.on('uncaughtException', onCrash);
	process.on('unhandledRejection', onCrash);
	return {restore};
}
