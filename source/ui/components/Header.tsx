import {Text} from 'ink';
import {generatedCount, type SessionState} from '../../session/state.js';
import {fit} from '../text.js';
import {useTheme} from '../themeContext.js';

/** Model name and shape, execution provider, token count, step, breakpoints, activity. */
export function Header({state, width}: {state: SessionState; width: number}) {
	const theme = useTheme();
	const m = state.model;
	const generated = generatedCount(state);
	const breakpoints = state.breakpoints.length > 0 ? state.breakpoints.map(b => b.source).join(', ') : 'none';
	const parts = [
		`lmscope ${m.name} ${m.layers}L×${m.heads}H×${m.width}`,
		m.provider,
		`${state.positions.length} tok`,
		// A classifier does not generate: no steps, no breakpoints.
		...(m.task === 'classification' ? [`classifier: ${m.labels!.length} classes`] : [`step ${generated}`, `break: ${breakpoints}`]),
		state.activity === 'idle' ? (state.finished === 'eos' ? 'ended (EOS)' : state.finished === 'context' ? 'context full' : 'idle') : `${state.activity}…`,
	];
	return (
		<Text bold {...theme.accent}>
			{fit(parts.join(' │ '), width)}
		</Text>
	);
}
