import {Box, Text} from 'ink';
import {KEYMAP} from '../keymap.js';
import {fit} from '../text.js';
import {useTheme} from '../themeContext.js';
import {PaneTitle} from './PaneTitle.js';

const GROUPS = {move: 'Move', view: 'View', generate: 'Generate', general: 'General'} as const;

/** Every key, generated from the same table that handles them. */
export function HelpOverlay({width, height}: {width: number; height: number}) {
	const theme = useTheme();
	const lines: Array<{text: string; heading?: boolean}> = [];
	for (const [group, name] of Object.entries(GROUPS)) {
		lines.push({text: name, heading: true});
		for (const b of KEYMAP.filter(k => k.group === group)) lines.push({text: `  ${fit(b.label, 9)} ${b.description}`});
	}
	const footer = ['Breakpoints: p < 0.2 · top1 < 0.3 · entropy > 3 · /regex/ · finding[:CATEGORY]', 'Esc, q or ? closes this help'];
	const rows = Math.max(1, height - 1 - footer.length);
	// Too many lines for the height: flow them into columns.
	const columns = Math.ceil(lines.length / rows);
	const columnWidth = Math.floor(width / columns);
	return (
		<Box flexDirection="column" width={width}>
			<PaneTitle title="Help" focused width={width} />
			<Box>
				{Array.from({length: columns}, (_, c) => (
					<Box key={c} flexDirection="column" width={columnWidth}>
						{lines.slice(c * rows, (c + 1) * rows).map((line, i) => (
							<Text key={i} {...(line.heading ? theme.accent : {})} bold={line.heading}>
								{fit(line.text, columnWidth - 1)}
							</Text>
						))}
					</Box>
				))}
			</Box>
			{footer.map(text => (
				<Text key={text} {...theme.muted}>
					{fit(text, width)}
				</Text>
			))}
		</Box>
	);
}
