import {Text} from 'ink';
import {footerEntries} from '../keymap.js';
import {paint} from '../paint.js';
import {useTheme} from '../themeContext.js';

/** The most-used keys, from the keymap table; as many as fit. */
export function Footer({width}: {width: number}) {
	const theme = useTheme();
	const parts: Array<{key: string; text: string}> = [];
	let used = 0;
	for (const entry of footerEntries()) {
		const length = entry.key.length + entry.text.length + 2;
		if (used + length > width) break;
		parts.push(entry);
		used += length;
	}
	return <Text>{parts.map(p => `${paint(theme.cursor, p.key)} ${p.text} `).join('')}</Text>;
}
