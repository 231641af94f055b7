import {Box, Text} from 'ink';
import type {SessionState} from '../../session/state.js';
import {fit} from '../text.js';
import {useTheme} from '../themeContext.js';
import {PaneTitle} from './PaneTitle.js';

/** Live findings, grouped by category with counts; the selected one is highlighted. */
export function Findings({state, width, height, focused}: {state: SessionState; width: number; height: number; focused: boolean}) {
	const theme = useTheme();
	const counts = new Map<string, number>();
	for (const f of state.findings) counts.set(f.category, (counts.get(f.category) ?? 0) + 1);
	const summary = [...counts].map(([category, n]) => `${category} ${n}`).join(', ');
	const rows = Math.max(0, height - 1);
	const start = Math.max(0, Math.min(state.selectedFinding - rows + 1, state.findings.length - rows));
	return (
		<Box flexDirection="column" width={width}>
			<PaneTitle title={`Findings (${state.findings.length})`} focused={focused} width={width} right={summary} />
			{state.findings.length === 0 ? (
				<Text {...theme.muted}>{fit(state.model.task === 'classification' ? 'none: the detectors judge generated text, and a classifier generates none' : 'no findings', width)}</Text>
			) : (
				state.findings.slice(start, start + rows).map((f, i) => (
					<Text key={start + i} {...(start + i === state.selectedFinding ? theme.cursor : f.severity === 'error' ? theme.warning : {})}>
						{fit(`${f.category} [${f.start}-${f.end - 1}] ${f.explanation}`, width)}
					</Text>
				))
			)}
		</Box>
	);
}
