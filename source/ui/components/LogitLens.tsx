import {Box, Text} from 'ink';
import type {SessionState} from '../../session/state.js';
import {windowAround} from '../../session/selectors.js';
import {fit, visibleToken} from '../text.js';
import {useTheme} from '../themeContext.js';
import {PaneTitle} from './PaneTitle.js';

/** One row per layer: what that layer's residual stream would predict at the cursor; the last row is the model's output. */
export function LogitLens({state, width, height, piece, focused}: {state: SessionState; width: number; height: number; piece: (id: number) => string; focused: boolean}) {
	const theme = useTheme();
	const token = state.cursor.token;
	// A classifier's lens is its head applied to each layer: one per input, whatever the cursor.
	const labels = state.model.task === 'classification' ? state.model.labels : undefined;
	const lens = state.lens?.position === (labels ? 'sequence' : token) ? state.lens!.rows : undefined;
	const candidate = (id: number) => (labels ? labels[id] ?? `LABEL_${id}` : visibleToken(piece(id)));
	const title = <PaneTitle title={labels ? 'Class lens · head on each layer' : `Logit lens · token ${token}`} focused={focused} width={width} />;
	if (lens === undefined || lens === 'unavailable') {
		return (
			<Box flexDirection="column" width={width}>
				{title}
				<Text {...theme.muted}>{fit(lens === 'unavailable' ? 'unavailable: the logits depend on more than the last residual stream' : 'computing…', width)}</Text>
			</Box>
		);
	}
	const rows = Math.max(1, height - 1);
	const last = lens.length - 1;
	const selected = state.cursor.layer + 1;
	const w = windowAround(selected, lens.length, rows);
	const per = Math.max(1, Math.floor((width - 7) / 13));
	return (
		<Box flexDirection="column" width={width}>
			{title}
			{lens.slice(w.start, w.end).map(row => {
				const name = row.layer === 0 ? 'embed' : row.layer === last ? `L${row.layer - 1}=out` : `L${row.layer - 1}`;
				const cells = row.top.slice(0, per).map(c => `${fit(candidate(c.id), 7)} ${c.probability.toFixed(2).replace(/^0/, '')}`);
				return (
					<Text key={row.layer} {...(row.layer === selected ? {bold: true} : {})}>
						<Text {...(row.layer === selected ? theme.cursor : theme.muted)}>{fit(name, 6)}</Text> {fit(cells.join(' '), width - 7)}
					</Text>
				);
			})}
		</Box>
	);
}
