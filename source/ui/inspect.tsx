/** `lmscope` / `lmscope inspect`: load the model, run the prompt, open the full-screen inspector. */
import chalk from 'chalk';
import {render, useStdout} from 'ink';
import {defaultDetectors, type DetectorOptions} from '../analysis/detectors/index.js';
import {UserError} from '../errors.js';
import type {Device} from '../model/device.js';
import {LanguageModel} from '../model/languageModel.js';
import type {ModelFiles} from '../model/resolve.js';
import {BreakpointSyntaxError, parseBreakpoint} from '../session/breakpoints.js';
import {SessionController} from '../session/controller.js';
import type {GenerationSettings} from '../session/state.js';
import {App} from './App.js';
import {enterFullScreen} from './terminal.js';
import {createTheme, detectColorLevel} from './theme.js';
import {ThemeContext} from './themeContext.js';
import {useTerminalSize} from './useTerminalSize.js';

export interface InspectOptions {
	files: ModelFiles;
	prompt: string;
	settings: GenerationSettings;
	breakpoints: string[];
	reference?: string;
	ratingsPath: string;
	rater: string;
	detectorOptions: DetectorOptions;
	verbose: boolean;
	device: Device;
}

export const NO_TTY_MESSAGE =
	'the inspector needs an interactive terminal (stdin and stdout a TTY); in scripts and pipes use `lmscope trace "PROMPT"` or `lmscope generate "PROMPT"`';

export async function runInspector(options: InspectOptions): Promise<void> {
	const {stdin, stdout, stderr} = process;
	// Flags first: a typo in --break is worth hearing about whatever the terminal.
	for (const breakpoint of options.breakpoints) {
		try {
			parseBreakpoint(breakpoint);
		} catch (error) {
			if (error instanceof BreakpointSyntaxError) throw new UserError(`--break: ${error.message}`);
			throw error;
		}
	}
	if (!stdin.isTTY || !stdout.isTTY) throw new UserError(NO_TTY_MESSAGE);
	// Everything that can fail on bad input fails here, before the screen is taken over.
	const model = await LanguageModel.load(options.files, {verbose: options.verbose, device: options.device});
	model.encode(options.prompt);
	const controller = new SessionController(model, options.prompt, options.settings, {ratingsPath: options.ratingsPath, rater: options.rater, detectors: defaultDetectors(options.detectorOptions)});
	for (const breakpoint of options.breakpoints) controller.addBreakpoint(breakpoint);
	if (options.reference !== undefined) controller.setReference(options.reference);
	const level = detectColorLevel(process.env, true);
	chalk.level = level;
	const theme = createTheme(level);
	let quit = () => {};
	const screen = enterFullScreen({stdin, stdout, stderr}, () => controller.stop());
	const instance = render(
		<ThemeContext.Provider value={theme}>
			<Root controller={controller} onQuit={() => quit()} />
		</ThemeContext.Provider>,
		{exitOnCtrlC: false, patchConsole: true, maxFps: 60},
	);
	quit = () => {
		controller.stop();
		instance.unmount();
	};
	void controller.runPrompt();
	try {
		await instance.waitUntilExit();
	} finally {
		screen.restore();
	}
	// Pending model work may hold the event loop; the user asked to leave.
	process.exit(0);
}

function Root({controller, onQuit}: {controller: SessionController; onQuit: () => void}) {
	const {stdout} = useStdout();
	const {width, height} = useTerminalSize(stdout);
	return <App controller={controller} width={width} height={height} onQuit={onQuit} />;
}
