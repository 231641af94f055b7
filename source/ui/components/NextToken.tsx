import {Box, Text} from 'ink';
import type {SessionState} from '../../session/state.js';
import {fit, visibleToken} from '../text.js';
import {useTheme} from '../themeContext.js';
import {PaneTitle} from './PaneTitle.js';

/** The top-k candidates after the cursor token, with probability bars and the entropy. */
export function NextToken({state, width, height, piece, focused}: {state: SessionState; width: number; height: number; piece: (id: number) => string; focused: boolean}) {
	const theme = useTheme();
	// A classifier shows its class probabilities for the whole input instead.
	const labels = state.model.task === 'classification' ? state.model.labels : undefined;
	const position = state.positions[state.cursor.token];
	const next = labels ? state.classes : position?.next;
	const actual = labels ? undefined : state.positions[state.cursor.token + 1];
	const name = (id: number) => (labels ? labels[id] ?? `LABEL_${id}` : visibleToken(piece(id)));
	const barWidth = Math.max(4, width - 22);
	const title = labels ? 'Classes (whole input)' : 'Next token';
	return (
		<Box flexDirection="column" width={width}>
			<PaneTitle title={`${title} · H=${next ? next.entropy.toFixed(2) : '—'} nats`} focused={focused} width={width} />
			{(next?.top ?? []).slice(0, Math.max(0, height - 1)).map((c, i) => {
				const chosen = labels ? i === 0 : actual?.id === c.id;
				const bar = '█'.repeat(Math.round(c.probability * barWidth));
				return (
					<Text key={c.id}>
						<Text {...(chosen ? theme.cursor : {})}>{fit(`${String(i + 1).padStart(2)} ${name(c.id)}`, 14)}</Text>
						{` ${c.probability.toFixed(3)} `}
						<Text {...theme.bar}>{fit(bar, barWidth)}</Text>
					</Text>
				);
			})}
		</Box>
	);
}
