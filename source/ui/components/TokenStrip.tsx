import {Box, Text} from 'ink';
import type {SessionState} from '../../session/state.js';
import {paint} from '../paint.js';
import {stripLayout, visibleToken} from '../text.js';
import {useTheme} from '../themeContext.js';
import {PaneTitle} from './PaneTitle.js';

/** The prompt and generated tokens, shaded by the probability the model gave each, cursor highlighted. */
export function TokenStrip({state, width, lines, focused}: {state: SessionState; width: number; lines: number; focused: boolean}) {
	const theme = useTheme();
	const texts = state.positions.map(p => visibleToken(p.text));
	const cursor = Math.min(state.cursor.token, Math.max(0, texts.length - 1));
	const layout = texts.length > 0 ? stripLayout(texts.map(t => [...t].length), cursor, width, lines) : [];
	const current = state.positions[cursor];
	const right = current
		? `${cursor}/${texts.length - 1} ${current.generated ? 'gen' : 'prompt'} p=${current.probability === undefined ? '—' : current.probability.toFixed(3)}`
		: '';
	return (
		<Box flexDirection="column" width={width}>
			<PaneTitle title="Tokens" focused={focused} width={width} right={right} />
			{Array.from({length: lines}, (_, line) => (
				<Text key={line} wrap="truncate">
					{(layout[line] ?? [])
						.map(i => {
							const position = state.positions[i]!;
							const shade = theme.probability(position.probability);
							return paint(i === cursor ? {...shade, ...theme.cursor, bold: position.generated} : {...shade, bold: position.generated}, texts[i]!);
						})
						.join(' ')}
				</Text>
			))}
		</Box>
	);
}
