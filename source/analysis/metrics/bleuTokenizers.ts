/**
 * The tokenizers SacreBLEU applies before BLEU, so scores match it exactly: `13a` (mteval-v13a, the
 * default), `intl` (mteval-v14 international), `char` and `none`.
 */

export type BleuTokenizer = '13a' | 'intl' | 'char' | 'none';

function collapse(line: string): string {
	return line.split(/\s+/).filter(Boolean).join(' ');
}

function tokenize13a(input: string): string {
	let line = input.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
	if (line.includes('&')) line = line.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
	line = ` ${line} `;
	line = line.replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ');
	line = line.replace(/([^0-9])([.,])/g, '$1 $2 ');
	line = line.replace(/([.,])([^0-9])/g, ' $1 $2');
	line = line.replace(/([0-9])(-)/g, '$1 $2 ');
	return collapse(line);
}

function tokenizeIntl(line: string): string {
	line = line.replace(/(\P{N})(\p{P})/gu, '$1 $2 ');
	line = line.replace(/(\p{P})(\P{N})/gu, ' $1 $2');
	line = line.replace(/(\p{S})/gu, ' $1 ');
	return collapse(line);
}

export function bleuTokenize(line: string, tokenizer: BleuTokenizer): string[] {
	switch (tokenizer) {
		case '13a':
			return tokenize13a(line).split(' ').filter(Boolean);
		case 'intl':
			return tokenizeIntl(line).split(' ').filter(Boolean);
		case 'char':
			return [...line].filter(ch => !/\s/.test(ch));
		case 'none':
			return line.split(/\s+/).filter(Boolean);
	}
}
