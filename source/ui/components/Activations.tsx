import {Box, Text} from 'ink';
import {mlpActivation, residualNormsByLayer, residualNormsByPosition, topNeurons, windowAround} from '../../session/selectors.js';
import type {SessionState} from '../../session/state.js';
import {bucketMaxAbs, fit, sparkline} from '../text.js';
import {useTheme} from '../themeContext.js';
import {PaneTitle} from './PaneTitle.js';

/** Sparklines: residual norm across layers (cursor token), across positions (selected layer), the MLP activation and its top neurons. */
export function Activations({state, width, height, focused}: {state: SessionState; width: number; height: number; focused: boolean}) {
	const theme = useTheme();
	const {token, layer} = state.cursor;
	const label = 15;
	const room = Math.max(4, width - label - 12);
	const byLayer = residualNormsByLayer(state);
	const byPosition = residualNormsByPosition(state);
	const w = windowAround(token, byPosition.length, room);
	const act = mlpActivation(state);
	const neurons = topNeurons(state, 6);
	const range = (values: number[]) => (values.length ? `${Math.min(...values).toFixed(1)}…${Math.max(...values).toFixed(1)}` : '');
	const lines = [
		<Text key="l">
			{fit('|resid| layers', label)}
			<Text {...theme.bar}>{sparkline(byLayer)}</Text> <Text {...theme.muted}>{range(byLayer)}</Text>
		</Text>,
		<Text key="p">
			{fit(`|resid| pos L${layer}`, label)}
			<Text {...theme.bar}>{sparkline(byPosition.slice(w.start, w.end))}</Text> <Text {...theme.muted}>{range(byPosition)}</Text>
		</Text>,
		<Text key="m">
			{fit(`MLP L${layer} (${act?.length ?? 0})`, label)}
			<Text {...theme.bar}>{act ? sparkline(bucketMaxAbs(act, width - label)) : ''}</Text>
		</Text>,
		<Text key="n">{fit(`top: ${neurons.map(n => `#${n.index} ${n.value.toFixed(2)}`).join('  ')}`, width)}</Text>,
	];
	return (
		<Box flexDirection="column" width={width}>
			<PaneTitle title={`Activations · token ${token} · layer ${layer}`} focused={focused} width={width} />
			{lines.slice(0, Math.max(0, height - 1))}
		</Box>
	);
}
